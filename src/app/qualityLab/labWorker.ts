// The quality-test lab's worker: tfjs (webgpu → webgl → cpu), the loaded G and S, the case, and
// every synthesis. The page only posts messages, so the viewer never freezes.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { firstWorkingBackend } from '../compute/startBackend.ts';
import { readCheckpoint, restoreNetwork, type LoadedCheckpoint } from '../../models/checkpoint.ts';
import type { Network } from '../../models/networks.ts';
import type { LabelScheme } from '../../models/config.ts';
import { activeBufferLimit, deviceLimitRefusal, type PlannedPass } from '../../models/deviceLimits.ts';
import { checkSameGeometry, readNifti, toLabelVolume, writeNifti, type NiftiImage } from '../../core/nifti/index.ts';
import { remapLabels, type Organ } from '../../core/labels.ts';
import type { Vec3 } from '../../core/volume.ts';
import { composeView, labelWithTumour, synthesizeAndScore, thumbnailOf, type LabCase, type LabModels, type TumourResult, type TumourRequest } from './labCompute.ts';
import { selectNetworks } from './modelLoading.ts';
import { isFreeTumorCheckpoint, torchToCheckpoint, type TorchCard } from './torchImport.ts';
import { importTorchSave, isTorchSave, withOrgan } from './ptImport.ts';
import { LAB_BACKEND_ORDER, type CaseFilesMsg, type LabBackendName, type LabToMain, type MainToLab, type ModelInfo, type ModelSlot } from './messages.ts';
import { batchSeed } from './helpers.ts';
import { checkpointBytes } from '../checkpoints/format.ts';
import { dicomExportFiles } from '../files/dicomExport.ts';
import { zipStore } from '../../core/zip.ts';
import type { DicomSeries } from '../../core/dicom/types.ts';

const scope = self as unknown as {
  postMessage(m: LabToMain, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<MainToLab>) => void) | null;
};
const post = (m: LabToMain, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

// ---- backend: the same order as the compute worker; a lost device moves on to the next one ----
let order: LabBackendName[] = [...LAB_BACKEND_ORDER];
let backendIndex = -1;
let backendName: LabBackendName | null = null;
let deviceLost: string | null = null;
const failures: { name: string; error: string }[] = [];

function watchDevice(name: LabBackendName): void {
  if (name !== 'webgpu') return;
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
  void device?.lost?.then((info) => {
    if (backendName !== 'webgpu' || info?.reason === 'destroyed') return;
    deviceLost = `WebGPU device lost${info?.message ? `: ${info.message}` : ''}`;
    post({ type: 'notice', message: `${deviceLost}; the lab moves to the next backend.` });
  });
}

/** Initialise the first working backend from `start` on; reports it (with why it changed). */
async function initFrom(start: number, reason: string | null): Promise<boolean> {
  const got = await firstWorkingBackend(order, failures, start);
  if (got) {
    backendIndex = got.index;
    backendName = got.name;
    deviceLost = null;
    watchDevice(got.name);
    post({ type: 'backend', backend: got.name, failures: [...failures], reason });
    return true;
  }
  backendName = null;
  post({ type: 'backendFailed', failures: [...failures] });
  return false;
}

let ready: Promise<boolean> = Promise.resolve(false);

/** GPU trouble worth a fallback (device lost, out of memory, context lost, invalid shaders). */
function isGpuFailure(err: unknown): boolean {
  if (deviceLost) return true;
  if (backendName === 'cpu') return false;
  return /device|lost|out of memory|oom|allocat|gpu|webgl|context|shader|buffer/i.test(message(err));
}

async function fallBack(why: string): Promise<void> {
  const from = backendName;
  failures.push({ name: from ?? '?', error: why });
  // The old backend's tensors go with it: rebuild the networks on the next one.
  disposeNetworks();
  if (from) {
    try {
      tf.removeBackend(from);
    } catch {
      /* already gone */
    }
  }
  const ok = await initFrom(backendIndex + 1, `${from} failed (${why}); now on the next backend`);
  if (!ok) throw new Error(`no backend left after ${from} failed: ${why}`);
  rebuildNetworks();
}

function tooBigForDevice(): string | null {
  const passes: PlannedPass[] = [];
  const g = slots.generator;
  const s = slots.segmentor;
  if (g?.net) passes.push({ label: 'generator G', config: g.net.config, patch: g.info.patch });
  if (s?.net) passes.push({ label: 'segmentor S', config: s.net.config, patch: s.info.runPatch ?? s.info.patch });
  return deviceLimitRefusal(passes, activeBufferLimit(), 'the lab moves to the next backend')?.message ?? null;
}

async function withFallback<T>(fn: () => Promise<T>): Promise<T> {
  if (!(await ready)) throw new Error('no tfjs backend could start in this browser');
  if (deviceLost) await fallBack(deviceLost);
  // A G or S too large for one WebGPU buffer computes garbage silently: move on before running.
  const tooBig = tooBigForDevice();
  if (tooBig) await fallBack(tooBig);
  try {
    return await fn();
  } catch (err) {
    if (!isGpuFailure(err) || backendIndex >= order.length - 1) throw err;
    await fallBack(deviceLost ?? message(err));
    return fn();
  }
}

// ---- models ----
interface SlotState {
  ck: LoadedCheckpoint;
  networkName: string;
  info: ModelInfo;
  net: Network | null;
}
const slots: Partial<Record<ModelSlot, SlotState>> = {};

function disposeNetworks(): void {
  for (const s of Object.values(slots)) {
    if (!s?.net) continue;
    try {
      s.net.dispose();
    } catch {
      /* its backend may be gone */
    }
    s.net = null;
  }
}

function rebuildNetworks(): void {
  for (const s of Object.values(slots)) if (s && !s.net) s.net = restoreNetwork(s.ck, s.networkName, { role: s.info.slot });
}

async function loadModel(requestId: number, slot: ModelSlot | 'auto', fileName: string, bytes: Uint8Array): Promise<void> {
  if (!(await ready)) throw new Error('no tfjs backend could start in this browser');
  if (isTorchSave(bytes)) return loadTorchSave(requestId, slot, fileName, bytes);
  const native = isFreeTumorCheckpoint(bytes);
  const ck = native ? readCheckpoint(bytes) : torchToCheckpoint(bytes, fileName, slotCard(slot));
  const loaded: Parameters<typeof selectNetworks>[3] = {};
  for (const [k, s] of Object.entries(slots) as [ModelSlot, SlotState][]) {
    loaded[k] = { config: s.ck.manifest.networks[s.networkName].config, labelScheme: s.info.labelScheme, patch: s.info.patch, spacingMm: s.info.spacingMm };
  }
  const chosen = selectNetworks(ck, fileName, slot, loaded);
  const infos: ModelInfo[] = [];
  for (const c of chosen) {
    const net = restoreNetwork(ck, c.networkName, { role: c.slot, config: c.config });
    const prev = slots[c.slot];
    prev?.net?.dispose();
    slots[c.slot] = { ck, networkName: c.networkName, info: c.info, net };
    infos.push(c.info);
  }
  // The page keeps the checkpoint file of what it loaded (save to the browser, download); converted
  // PyTorch weights become a FreeTumor checkpoint file first.
  const checkpoint = native ? undefined : checkpointBytes(ck);
  post({ type: 'modelLoaded', requestId, infos, checkpoint }, checkpoint ? [checkpoint.buffer] : []);
}

/**
 * A PyTorch torch.save file (the official FreeTumor checkpoints), converted here into a FreeTumor
 * checkpoint. Unlike a FreeTumor file it replaces whatever its slot holds (the demo U-Net S
 * included): the file says what it is, and the paper's SwinUNETR is what a user drops it for.
 */
async function loadTorchSave(requestId: number, slot: ModelSlot | 'auto', fileName: string, bytes: Uint8Array): Promise<void> {
  const imp = await importTorchSave(bytes, fileName, slot);
  const replaced = new Set(imp.models.map((m) => m.slot));
  const loaded: Parameters<typeof selectNetworks>[3] = {};
  for (const [k, s] of Object.entries(slots) as [ModelSlot, SlotState][]) {
    if (!replaced.has(k)) loaded[k] = { config: s.ck.manifest.networks[s.networkName].config, labelScheme: s.info.labelScheme, patch: s.info.patch, spacingMm: s.info.spacingMm };
  }
  // Check every part before replacing anything: TGAN.pt fills both slots or neither.
  const chosen = imp.models.map((m) => ({ ck: m.ck, c: selectNetworks(m.ck, fileName, m.slot, loaded)[0] }));
  const infos: ModelInfo[] = [];
  for (const { ck, c } of chosen) {
    const net = restoreNetwork(ck, c.networkName, { role: c.slot, config: c.config });
    slots[c.slot]?.net?.dispose();
    const info: ModelInfo = {
      ...c.info,
      architecture: c.info.architecture ?? 'UNet3D (FreeTumor models/Unet.py, Models Genesis), batch statistics',
      source: { kind: 'torch.save', sha256: imp.source.sha256, epoch: imp.source.epoch ?? null, bestAcc: imp.source.bestAcc ?? null },
      organChoice: c.slot === 'segmentor' && imp.organChosen,
    };
    slots[c.slot] = { ck, networkName: c.networkName, info, net };
    infos.push(info);
  }
  // Each slot keeps its own converted file (TGAN.pt gives a G + C file and an S file).
  const files: Partial<Record<ModelSlot, Uint8Array>> = {};
  for (const { ck, c } of chosen) files[c.slot] = checkpointBytes(ck);
  post({ type: 'modelLoaded', requestId, infos, checkpoints: files }, Object.values(files).map((b) => b.buffer));
}

/** The organ of a specialist S whose file did not name it: the card (and the saved file) follow. */
function setSegmentorOrgan(requestId: number, organ: Organ): void {
  const s = slots.segmentor;
  if (!s?.info.organChoice) throw new Error('the loaded segmentor names its own organ (or is universal): there is nothing to choose');
  s.ck = withOrgan(s.ck, organ);
  s.info = { ...s.info, organ };
  const checkpoint = checkpointBytes(s.ck);
  post({ type: 'modelLoaded', requestId, infos: [s.info], checkpoint }, [checkpoint.buffer]);
}

/** Run a SwinUNETR S on a smaller crop than its card's (same spacing); the card is unchanged. */
function setSegmentorCrop(requestId: number, edge: number): void {
  const s = slots.segmentor;
  if (!s || s.ck.manifest.networks[s.networkName].config.kind !== 'swinunetr') throw new Error('only a SwinUNETR segmentor runs at a chosen crop');
  const full = s.info.patch;
  if (!Number.isInteger(edge) || edge < 32 || edge % 32 !== 0 || full.some((p) => edge > p)) {
    throw new Error(`a SwinUNETR crop edge must be a multiple of 32 up to its card's ${full.join('×')}, not ${edge}`);
  }
  const info: ModelInfo = { ...s.info, runPatch: [edge, edge, edge] };
  if (full.every((p) => p === edge)) delete info.runPatch;
  s.info = info;
  post({ type: 'modelLoaded', requestId, infos: [s.info] });
}

/** The card of the model in `slot`, for PyTorch weights of the same architecture. */
function slotCard(slot: ModelSlot | 'auto'): TorchCard | null {
  const s = slot === 'auto' ? null : slots[slot];
  if (!s) return null;
  const entry = s.ck.manifest.networks[s.networkName];
  // PyTorch safetensors state dicts are read for U-Nets only (torchNames.ts).
  if (entry.config.kind !== 'unet3d') return null;
  return { role: entry.role, labelScheme: entry.labelScheme, config: entry.config, card: s.ck.manifest.card };
}

function models(): LabModels {
  const g = slots.generator;
  const s = slots.segmentor;
  if (!g?.net || !s?.net) throw new Error('load a generator and a segmentor first');
  return {
    generator: g.net,
    segmentor: s.net,
    patch: g.info.patch,
    spacingMm: g.info.spacingMm,
    // S scores on its own grid (labCompute), at a smaller crop if the user chose one.
    segPatch: s.info.runPatch ?? s.info.patch,
    segSpacingMm: s.info.spacingMm,
    scheme: (s.info.labelScheme ?? 'universal') as LabelScheme,
    organ: s.info.organ ?? null,
  };
}

// ---- case ----
interface ParsedCase extends LabCase {
  imageFile: NiftiImage;
  segFile: NiftiImage;
  names: { image: string; label: string };
}
let current: { caseId: number; files: CaseFilesMsg; parsed: Promise<ParsedCase> | null } | null = null;
const results = new Map<number, TumourResult>();
const SINGLE = -1;

async function parse(files: CaseFilesMsg): Promise<ParsedCase> {
  const imageFile = await readNifti(files.image.bytes, files.image.name);
  const segFile = await readNifti(files.label.bytes, files.label.name);
  checkSameGeometry(imageFile.volume, segFile.volume, files.image.name, files.label.name);
  const src = toLabelVolume(segFile, files.label.name);
  return {
    image: imageFile.volume,
    label: { dims: src.dims, affine: src.affine, data: remapLabels(src.data, files.labelMap) },
    imageFile,
    segFile,
    names: { image: files.image.name, label: files.label.name },
  };
}

function caseFor(caseId: number): Promise<ParsedCase> {
  if (!current) throw new Error('open an image together with its label map first');
  if (current.caseId !== caseId) throw new Error('the case changed while the request was on its way; try again');
  current.parsed ??= parse(current.files);
  return current.parsed;
}

// ---- jobs ----
let cancelled = new Set<number>();

/** Ids present per case's label data: counted once, not per tumour shown. */
const idsSeen = new WeakMap<Uint8Array, number[]>();
function labelIdsOf(data: Uint8Array): number[] {
  let ids = idsSeen.get(data);
  if (!ids) {
    const seen = new Uint8Array(256);
    for (let n = 0; n < data.length; n++) seen[data[n]] = 1;
    ids = [...seen.keys()].filter((id) => id > 0 && seen[id]);
    idsSeen.set(data, ids);
  }
  return ids;
}

function viewMessage(c: LabCase, r: TumourResult) {
  const v = composeView(c, r);
  // A copy: the worker keeps the case's labels for the next tumour.
  const labels = new Uint8Array(c.label.data);
  return { view: { item: r.item, image: v.image, outline: v.outline, labels, labelIds: labelIdsOf(c.label.data) }, transfer: [v.image.buffer, v.outline.buffer, labels.buffer] as Transferable[] };
}

async function single(requestId: number, caseId: number, req: Omit<TumourRequest, 'index'>): Promise<void> {
  const c = await caseFor(caseId);
  post({ type: 'progress', requestId, done: 0, total: 1, phase: 'synthesising with G, scoring with S' });
  const r = await withFallback(() => synthesizeAndScore(c, models(), { index: SINGLE, ...req }));
  if (cancelled.has(requestId)) {
    post({ type: 'cancelled', requestId });
    return;
  }
  results.set(SINGLE, r);
  const { view, transfer } = viewMessage(c, r);
  post({ type: 'single', requestId, view }, transfer);
}

async function batch(requestId: number, caseId: number, count: number, baseSeed: number, organ: TumourRequest['organ'], sizeClass: TumourRequest['sizeClass']): Promise<void> {
  const c = await caseFor(caseId);
  for (const k of [...results.keys()]) if (k !== SINGLE) results.delete(k);
  let stopped = false;
  for (let n = 0; n < count; n++) {
    // Cancel is checked between tumours (a message that arrived while the GPU worked).
    await new Promise((r) => setTimeout(r, 0));
    if (cancelled.has(requestId)) {
      stopped = true;
      break;
    }
    post({ type: 'progress', requestId, done: n, total: count, phase: `tumour ${n + 1} of ${count}` });
    const r = await withFallback(() => synthesizeAndScore(c, models(), { index: n, seed: batchSeed(baseSeed, n), organ, centre: null, sizeClass, textureSeed: baseSeed }));
    results.set(n, r);
    const thumb = thumbnailOf(r);
    post({ type: 'batchItem', requestId, item: r.item, thumb }, [thumb.hu.buffer, thumb.outline.buffer]);
  }
  post({ type: 'progress', requestId, done: count, total: count, phase: 'done' });
  post({ type: 'batchDone', requestId, cancelled: stopped, numTensors: tf.memory().numTensors });
}

async function open(requestId: number, index: number): Promise<void> {
  const r = results.get(index);
  if (!r || !current?.parsed) throw new Error(`tumour ${index} is no longer held; run the batch again`);
  const c = await current.parsed;
  const { view, transfer } = viewMessage(c, r);
  post({ type: 'opened', requestId, view }, transfer);
}

async function exportPassing(requestId: number, threshold: number): Promise<void> {
  if (!current?.parsed) throw new Error('no case');
  const c = await current.parsed;
  const base = c.names.image.replace(/\.nii(\.gz)?$/i, '');
  const files: { name: string; bytes: Uint8Array }[] = [];
  const passing = [...results.entries()].filter(([k, r]) => k !== SINGLE && r.item.P >= threshold).sort((a, b) => a[0] - b[0]);
  for (const [k, r] of passing) {
    post({ type: 'progress', requestId, done: files.length / 2, total: passing.length, phase: 'writing NIfTI' });
    const v = composeView(c, r);
    const dims = [...c.image.dims] as Vec3;
    const image = await writeNifti({ dims, affine: [...c.image.affine], data: v.image }, { header: c.imageFile.header, datatype: c.imageFile.datatype, fileName: c.names.image });
    const label = await writeNifti({ dims, affine: [...c.label.affine], data: labelWithTumour(c, r) }, { header: c.segFile.header, datatype: 'uint8', fileName: c.names.label });
    const tag = `${base}_lab${String(k).padStart(3, '0')}_seed${r.item.seed}`;
    files.push({ name: `${tag}.nii.gz`, bytes: image }, { name: `${tag}_label.nii.gz`, bytes: label });
  }
  // One archive, not 2 × N downloads (browsers ask or block after the first few). Stored, not
  // deflated: the entries are gzip already.
  const zip = files.length ? zipStore(files) : null;
  post({ type: 'exported', requestId, zip, tumours: passing.length }, zip ? [zip.buffer] : []);
}

async function exportPassingDicom(requestId: number, threshold: number, source: DicomSeries, keepIdentifiers: boolean): Promise<void> {
  if (!current?.parsed) throw new Error('no case');
  const c = await current.parsed;
  const passing = [...results.entries()].filter(([k, r]) => k !== SINGLE && r.item.P >= threshold).sort((a, b) => a[0] - b[0]);
  // Written tumour by tumour: only the DICOM bytes pile up, not a float volume per tumour.
  const files: { name: string; bytes: Uint8Array }[] = [];
  for (const [n, [k, r]] of passing.entries()) {
    post({ type: 'progress', requestId, done: n, total: passing.length, phase: 'writing DICOM' });
    const dims = [...c.image.dims] as Vec3;
    const folder = `lab${String(k).padStart(3, '0')}_seed${r.item.seed}`;
    const input = {
      image: { dims, affine: [...c.image.affine], data: composeView(c, r).image },
      labels: { dims, affine: [...c.label.affine], data: labelWithTumour(c, r) },
      sourceLabels: c.label.data,
      source,
      tumours: [{ organ: r.item.organ, sizeClass: r.item.sizeClass, P: r.item.P }],
      keepIdentifiers,
    };
    files.push(...dicomExportFiles(input, folder));
  }
  const zip = files.length ? zipStore(files) : null;
  post({ type: 'exportedDicom', requestId, zip, tumours: passing.length }, zip ? [zip.buffer] : []);
}

scope.onmessage = (e) => {
  const m = e.data;
  const fail = (requestId: number | null) => (err: unknown) => post({ type: 'error', requestId, message: message(err) });
  switch (m.type) {
    case 'init':
      if (m.forceBackends?.length) order = [...m.forceBackends];
      ready = initFrom(0, null);
      return;
    case 'setCase':
      current = { caseId: m.caseId, files: m.files, parsed: null };
      results.clear();
      return;
    case 'loadModel':
      loadModel(m.requestId, m.slot, m.fileName, m.bytes).catch(fail(m.requestId));
      return;
    case 'setSegmentorCrop':
      try {
        setSegmentorCrop(m.requestId, m.edge);
      } catch (err) {
        fail(m.requestId)(err);
      }
      return;
    case 'setSegmentorOrgan':
      try {
        setSegmentorOrgan(m.requestId, m.organ);
      } catch (err) {
        fail(m.requestId)(err);
      }
      return;
    case 'unloadModel': {
      const s = slots[m.slot];
      s?.net?.dispose();
      delete slots[m.slot];
      return;
    }
    case 'single':
      single(m.requestId, m.caseId, m.request).catch(fail(m.requestId));
      return;
    case 'batch':
      batch(m.requestId, m.caseId, m.count, m.baseSeed, m.organ, m.sizeClass).catch(fail(m.requestId));
      return;
    case 'open':
      open(m.requestId, m.index).catch(fail(m.requestId));
      return;
    case 'cancel':
      cancelled.add(m.requestId);
      if (cancelled.size > 256) cancelled = new Set([...cancelled].slice(-64));
      return;
    case 'exportPassing':
      exportPassing(m.requestId, m.threshold).catch(fail(m.requestId));
      return;
    case 'exportPassingDicom':
      exportPassingDicom(m.requestId, m.threshold, m.source, m.keepIdentifiers).catch(fail(m.requestId));
      return;
    case 'memory': {
      const mem = tf.memory();
      post({ type: 'memory', requestId: m.requestId, numTensors: mem.numTensors, numBytes: mem.numBytes, backend: backendName ?? 'none' });
      return;
    }
    case 'simulateDeviceLost':
      deviceLost = 'simulated device loss (test)';
      post({ type: 'notice', message: `${deviceLost}; the lab moves to the next backend.` });
      return;
  }
};
