/**
 * The lab's page side: owns the lab worker and the lab viewer, turns store settings into worker
 * requests and worker replies into store updates. Every long job shows progress and can be cancelled.
 */
import { downloadFile } from '../files/download.ts';
import type { ViewerController } from '../viewer/ViewerController.ts';
import { useStatusStore } from '../stores/statusStore.ts';
import { LabViewer } from './LabViewer.ts';
import { useLabStore, type JobKind } from './labStore.ts';
import { toCsv, toJson } from './helpers.ts';
import type { LabToMain, MainToLab, ModelSlot, ViewResult } from './messages.ts';
import { getCheckpointLibrary, setCheckpointLibrary, useCheckpointStore } from '../checkpoints/checkpointStore.ts';
import { IndexedDbCheckpointLibrary } from '../checkpoints/indexedDb.ts';
import { checkpointFileName, nameOfFile } from '../checkpoints/format.ts';

import { DEMO_MODELS } from './demoModels.ts';
import { useDicomStore } from '../stores/dicomStore.ts';
import { assertModelFileName, convertedName } from './modelFiles.ts';
import type { Organ } from '../../core/labels.ts';

const store = () => useLabStore.getState();
const errorText = (err: unknown) => {
  const m = err instanceof Error ? err.message : String(err);
  return m.charAt(0).toUpperCase() + m.slice(1);
};


interface Pending {
  resolve: (m: LabToMain) => void;
  reject: (e: Error) => void;
}

export class LabService {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private caseId = 0;
  private caseBytes: Uint8Array | null = null;
  private caseName = 'case';
  readonly viewer = new LabViewer();
  private viewerReady = false;
  private baseline: number | null = null;
  private offs: (() => void)[] = [];
  /** The checkpoint file behind each loaded slot (as the Node CLI reads it), for save and download. */
  private files: Partial<Record<ModelSlot, { bytes: Uint8Array; fileName: string }>> = {};

  constructor(private readonly main: ViewerController) {}

  /** Start the worker (once) and look for bundled demo models. */
  start(): void {
    if (this.worker) return;
    try {
      this.worker = new Worker(new URL('./labWorker.ts', import.meta.url), { type: 'module' });
    } catch (err) {
      store().setError(`The lab's worker could not start: ${errorText(err)}`);
      return;
    }
    this.worker.onmessage = (e: MessageEvent<LabToMain>) => this.onMessage(e.data);
    this.worker.onerror = (e) => store().setError(`Lab worker error: ${e.message || 'failed to load'}`);
    this.post({ type: 'init' });
    // Read-only test aid (e2e): exercise the fallback path without a real lost device.
    (window as unknown as { __ftwLab?: unknown }).__ftwLab = Object.freeze({ simulateDeviceLost: () => this.simulateDeviceLost() });
    this.offs.push(
      this.main.events.on('imageLoaded', () => this.syncCase()),
      this.main.events.on('labelsLoaded', () => this.syncCase()),
    );
    this.syncCase();
    if (!getCheckpointLibrary()) setCheckpointLibrary(new IndexedDbCheckpointLibrary());
    void useCheckpointStore.getState().refresh();
    void this.loadDemoModels();
  }

  private post(m: MainToLab, transfer: Transferable[] = []): void {
    this.worker?.postMessage(m, transfer);
  }

  private request(m: MainToLab & { requestId: number }, transfer: Transferable[] = []): Promise<LabToMain> {
    return new Promise((resolve, reject) => {
      this.pending.set(m.requestId, { resolve, reject });
      this.post(m, transfer);
    });
  }

  private onMessage(m: LabToMain): void {
    const s = store();
    switch (m.type) {
      case 'backend':
        s.setBackend(m.backend, m.failures, m.reason);
        if (m.reason) {
          s.notice(`Backend: ${m.reason} → ${m.backend}`);
          useStatusStore.getState().pushMessage('info', `Quality lab: ${m.reason}; now on ${m.backend}.`);
        }
        return;
      case 'backendFailed':
        s.setBackend(null, m.failures, 'no backend');
        s.setError(`No tfjs backend could start: ${m.failures.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
        return;
      case 'notice':
        s.notice(m.message);
        return;
      case 'progress':
        s.progressJob(m.requestId, m.done, m.total, m.phase);
        return;
      case 'batchItem':
        if (s.progress?.requestId === m.requestId) s.addBatchItem(m.item, m.thumb);
        return;
      default:
        break;
    }
    const id = m.requestId;
    if (id === null) return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (m.type === 'error') p.reject(new Error(m.message));
    else p.resolve(m);
  }

  syncCase(): void {
    const files = this.main.caseFiles();
    if (!files) return;
    if (files.image.bytes === this.caseBytes) return;
    this.caseId++;
    this.caseBytes = files.image.bytes;
    this.caseName = files.image.name;
    this.post({ type: 'setCase', caseId: this.caseId, files });
    store().clearResults();
    if (this.viewerReady) void this.viewer.setCase(files.image.bytes, files.image.name);
  }

  async attachViewer(canvas: HTMLCanvasElement): Promise<void> {
    await this.viewer.attach(canvas);
    this.viewerReady = true;
    const files = this.main.caseFiles();
    if (files) await this.viewer.setCase(files.image.bytes, files.image.name);
  }

  detachViewer(): void {
    this.viewer.dispose();
    this.viewerReady = false;
  }

  private async loadDemoModels(): Promise<void> {
    store().setDemo('checking');
    const base = import.meta.env.BASE_URL;
    let found = 0;
    try {
      for (const slot of ['generator', 'segmentor'] as const) {
        const res = await fetch(`${base}${DEMO_MODELS[slot]}`);
        // Vite's dev server answers unknown paths with index.html: only real safetensors count.
        const type = res.headers.get('content-type') ?? '';
        if (!res.ok || type.includes('text/html')) continue;
        const bytes = new Uint8Array(await res.arrayBuffer());
        await this.loadBytes(bytes, DEMO_MODELS[slot].split('/').pop()!, slot);
        found++;
      }
      store().setDemo(found ? 'loaded' : 'absent');
    } catch (err) {
      store().setDemo('failed');
      store().setModelError(`Bundled demo model: ${errorText(err)}`);
    }
  }

  private async loadBytes(bytes: Uint8Array, fileName: string, slot: ModelSlot | 'auto'): Promise<void> {
    const requestId = this.nextId++;
    // A paper-size checkpoint (19 M parameters) takes a while to parse and upload: show it.
    store().startJob('model', requestId, 1, `loading ${fileName}`);
    try {
      // Not transferred: the page keeps the file for "save to browser" and "download".
      const r = await this.request({ type: 'loadModel', requestId, slot, fileName, bytes });
      if (r.type === 'modelLoaded') {
        this.applyLoaded(r, fileName, bytes);
      }
    } finally {
      store().endJob(requestId);
    }
  }

  /** A model (re)loaded in the worker; `bytes` null = the file behind the slot is unchanged. */
  private applyLoaded(r: Extract<LabToMain, { type: 'modelLoaded' }>, fileName: string, bytes: Uint8Array | null): void {
    const file = r.checkpoint ? { bytes: r.checkpoint, fileName: convertedName(fileName) } : bytes ? { bytes, fileName } : null;
    for (const info of r.infos) {
      const own = r.checkpoints?.[info.slot];
      if (own) this.files[info.slot] = { bytes: own, fileName: convertedName(fileName) };
      else if (file) this.files[info.slot] = file;
      store().setModel(info);
      // A specialist S scores its own organ only: follow it.
      if (info.organ && store().organ !== info.organ) store().setOrgan(info.organ);
    }
  }

  /** The organ of a specialist S whose PyTorch file does not say it (the card offers the choice). */
  async setSegmentorOrgan(organ: Organ): Promise<void> {
    const info = store().models.segmentor;
    if (!info?.organChoice) return;
    try {
      const r = await this.request({ type: 'setSegmentorOrgan', requestId: this.nextId++, organ });
      if (r.type === 'modelLoaded') this.applyLoaded(r, info.fileName, null);
    } catch (err) {
      store().setModelError(errorText(err));
    }
  }

  /** Run a SwinUNETR S at a smaller crop edge than its card's (or back at the card's). */
  async setSegmentorCrop(edge: number): Promise<void> {
    if (!store().models.segmentor) return;
    try {
      const r = await this.request({ type: 'setSegmentorCrop', requestId: this.nextId++, edge });
      if (r.type === 'modelLoaded') this.applyLoaded(r, store().models.segmentor!.fileName, null);
    } catch (err) {
      store().setModelError(errorText(err));
    }
  }

  async loadFiles(files: File[], slot: ModelSlot | 'auto'): Promise<void> {
    const running = store().progress;
    if (running && running.kind !== 'model') {
      store().setModelError('Wait for the running job to finish (or cancel it) before loading models.');
      return;
    }
    for (const f of files) {
      try {
        assertModelFileName(f.name);
        await this.loadBytes(new Uint8Array(await f.arrayBuffer()), f.name, slot);
      } catch (err) {
        store().setModelError(`Refused: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  unload(slot: ModelSlot): void {
    this.post({ type: 'unloadModel', slot });
    store().unloadModel(slot);
    delete this.files[slot];
  }

  /** The checkpoint file the model in `slot` came from (null when the slot is empty). */
  checkpointFile(slot: ModelSlot): { bytes: Uint8Array; fileName: string } | null {
    return this.files[slot] ?? null;
  }

  /** Save the checkpoint of the model in `slot` to the browser's checkpoint library. */
  async saveToLibrary(slot: ModelSlot): Promise<void> {
    const f = this.files[slot];
    if (!f) return void useCheckpointStore.getState().setError(`No ${slot} is loaded: nothing to save.`);
    await useCheckpointStore.getState().save(f.bytes, { name: nameOfFile(f.fileName), source: f.fileName });
  }

  /** Download the checkpoint of the model in `slot`: the same file the CLI writes and reads. */
  downloadSlot(slot: ModelSlot): void {
    const f = this.files[slot];
    if (f) downloadFile(f.bytes as BlobPart, checkpointFileName(f.fileName), 'application/octet-stream');
  }

  /** Load a saved checkpoint into `slot` (the usual role / architecture checks apply). */
  async loadFromLibrary(id: string, slot: ModelSlot): Promise<void> {
    const running = store().progress;
    if (running && running.kind !== 'model') return void store().setModelError('Wait for the running job to finish (or cancel it) before loading models.');
    const got = await useCheckpointStore.getState().load(id);
    if (!got) return;
    try {
      await this.loadBytes(got.bytes, checkpointFileName(got.entry.name), slot);
    } catch (err) {
      store().setModelError(`Refused: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Download a saved checkpoint (verified against its SHA-256 first). */
  async downloadSaved(id: string): Promise<void> {
    const got = await useCheckpointStore.getState().load(id);
    if (got) downloadFile(got.bytes as BlobPart, checkpointFileName(got.entry.name), 'application/octet-stream');
  }

  private ready(): string | null {
    const s = store();
    if (!this.main.caseFiles()) return 'Open an image together with its label map first.';
    if (!s.models.generator || !s.models.segmentor) return 'Load a generator (G) and a segmentor (S) checkpoint first.';
    if (s.progress) return 'Another job is running; wait or cancel it.';
    return null;
  }

  private async job<T>(kind: JobKind, total: number, phase: string, run: (requestId: number) => Promise<T>): Promise<T | null> {
    const requestId = this.nextId++;
    store().startJob(kind, requestId, total, phase);
    try {
      return await run(requestId);
    } catch (err) {
      store().setError(errorText(err));
      return null;
    } finally {
      store().endJob(requestId);
    }
  }

  private async showView(v: ViewResult): Promise<void> {
    await this.viewer.setCase(this.caseBytes!, this.caseName);
    await this.viewer.show(v.image, v.outline, v.item.centreVoxel, v.labels);
    store().setCaseLabels(v.labelIds);
  }

  async runSingle(): Promise<void> {
    const why = this.ready();
    if (why) return void store().setError(why);
    const s = store();
    const centre = s.centre;
    await this.job('single', 1, 'synthesising', async (requestId) => {
      const r = await this.request({ type: 'single', requestId, caseId: this.caseId, request: { seed: s.seed, organ: s.organ, centre, sizeClass: s.sizeClass === 'random' ? null : s.sizeClass } });
      if (r.type !== 'single') return;
      store().setSingle(r.view.item);
      await this.showView(r.view);
    });
  }

  togglePlacement(): void {
    const s = store();
    if (s.placing) {
      this.viewer.cancelClick();
      s.setPlacing(false);
      return;
    }
    s.setPlacing(true);
    this.viewer.armClick((voxel) => {
      store().setPlacing(false);
      if (!voxel) return void store().setError('That click is outside the image.');
      store().setCentre(voxel);
      void this.runSingle();
    });
  }

  async memory(): Promise<number> {
    const r = await this.request({ type: 'memory', requestId: this.nextId++ });
    return r.type === 'memory' ? r.numTensors : NaN;
  }

  async runBatch(): Promise<void> {
    const why = this.ready();
    if (why) return void store().setError(why);
    const s = store();
    this.baseline = await this.memory();
    s.startBatch(s.count, s.seed);
    await this.job('batch', s.count, 'starting', async (requestId) => {
      const r = await this.request({ type: 'batch', requestId, caseId: this.caseId, count: s.count, baseSeed: s.seed, organ: s.organ, sizeClass: s.sizeClass === 'random' ? null : s.sizeClass });
      if (r.type === 'batchDone') store().finishBatch(r.cancelled, r.numTensors);
    });
    const b = store().batch;
    if (b && !b.finished) store().finishBatch(true, await this.memory());
  }

  get tensorBaseline(): number | null {
    return this.baseline;
  }

  cancel(): void {
    const p = store().progress;
    if (p) this.post({ type: 'cancel', requestId: p.requestId });
  }

  async openItem(index: number): Promise<void> {
    const requestId = this.nextId++;
    try {
      const r = await this.request({ type: 'open', requestId, index });
      if (r.type !== 'opened') return;
      store().setShown(index);
      await this.showView(r.view);
    } catch (err) {
      store().setError(errorText(err));
    }
  }

  private exportMeta() {
    const s = store();
    return {
      caseName: this.caseName,
      backend: s.backend,
      models: { generator: s.models.generator?.fileName ?? null, segmentor: s.models.segmentor?.fileName ?? null },
    };
  }

  private base(): string {
    return this.caseName.replace(/\.nii(\.gz)?$/i, '');
  }

  exportCsv(): void {
    const s = store();
    if (!s.batch) return;
    downloadFile(toCsv(s.batch.items, s.threshold), `${this.base()}_quality.csv`, 'text/csv');
  }

  exportJson(): void {
    const s = store();
    if (!s.batch) return;
    downloadFile(JSON.stringify(toJson(s.batch.items, s.threshold, this.exportMeta()), null, 2), `${this.base()}_quality.json`, 'application/json');
  }

  async exportPassing(): Promise<void> {
    const s = store();
    if (!s.batch || s.progress) return;
    await this.job('export', 1, 'writing NIfTI', async (requestId) => {
      const r = await this.request({ type: 'exportPassing', requestId, threshold: s.threshold });
      if (r.type !== 'exported') return;
      if (!r.zip) return void store().notice('No tumour passes at this threshold: nothing to export.');
      const name = `${this.base()}_lab_passing_nifti.zip`;
      downloadFile(r.zip as BlobPart, name, 'application/zip');
      store().notice(`Saved ${name}: image + label for ${r.tumours} passing tumour${r.tumours === 1 ? '' : 's'}.`);
    });
  }

  /** The passing tumours as one zip of SEG + derived series per tumour; only for a case converted from DICOM. */
  async exportPassingDicom(): Promise<void> {
    const s = store();
    const dicom = useDicomStore.getState();
    if (!s.batch || s.progress) return;
    if (!dicom.source) return void store().setError('DICOM export needs a case opened from a DICOM series.');
    const source = dicom.source.series;
    await this.job('export', 1, 'writing DICOM', async (requestId) => {
      const r = await this.request({ type: 'exportPassingDicom', requestId, threshold: s.threshold, source, keepIdentifiers: dicom.keepIdentifiers });
      if (r.type !== 'exportedDicom') return;
      if (!r.zip) return void store().notice('No tumour passes at this threshold: nothing to export.');
      const name = `${this.base()}_lab_passing_dicom.zip`;
      downloadFile(r.zip as BlobPart, name, 'application/zip');
      store().notice(`Saved ${name}: SEG + derived series for ${r.tumours} passing tumour${r.tumours === 1 ? '' : 's'}.`);
    });
  }

  /** Test aid: make the worker act as if its GPU device were lost. */
  simulateDeviceLost(): void {
    this.post({ type: 'simulateDeviceLost' });
  }

  dispose(): void {
    this.offs.forEach((o) => o());
    this.worker?.terminate();
    this.worker = null;
    this.detachViewer();
  }
}
