import type { DicomSeries } from '../../core/dicom/types.ts';
import { copyInSlabs } from '../viewer/chunkedCopy.ts';
import type { CaseFiles, MainToWorker, SynthesisOptions, SynthesisReply, WorkerToMain } from './messages.ts';

type Pending = { resolve: (m: WorkerToMain) => void; reject: (e: Error) => void };

/**
 * The page's side of the synthesis worker: one request at a time per caller, answered by id. The
 * worker starts on first use (it holds only core code, no tfjs, so it is up in well under a second).
 */
export class SynthesisClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private caseId = 0;
  private sentCase = -1;
  private files: CaseFiles | null = null;
  private sending: { caseId: number; done: Promise<void> } | null = null;
  private readonly pending = new Map<number, Pending>();

  /** A new case or label map: the worker parses it on the next request. */
  setCase(files: CaseFiles | null): void {
    this.files = files;
    this.caseId++;
  }

  get hasCase(): boolean {
    return this.files !== null;
  }

  async synthesize(options: SynthesisOptions): Promise<SynthesisReply> {
    const reply = await this.request((requestId, caseId) => ({ type: 'synthesize', requestId, caseId, options }));
    if (reply.type !== 'synthesized') throw new Error(`unexpected reply ${reply.type}`);
    return reply;
  }

  async exportFiles(): Promise<{ image: Uint8Array; label: Uint8Array }> {
    const reply = await this.request((requestId, caseId) => ({ type: 'export', requestId, caseId }));
    if (reply.type !== 'exported') throw new Error(`unexpected reply ${reply.type}`);
    return { image: reply.image, label: reply.label };
  }

  /** The last result as a zip of SEG.dcm + the derived series, against `source`. */
  async exportDicom(source: DicomSeries, keepIdentifiers: boolean): Promise<{ zip: Uint8Array; files: number }> {
    const reply = await this.request((requestId, caseId) => ({ type: 'exportDicom', requestId, caseId, source, keepIdentifiers }));
    if (reply.type !== 'exportedDicom') throw new Error(`unexpected reply ${reply.type}`);
    return { zip: reply.zip, files: reply.files };
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('synthesis worker stopped'));
    this.pending.clear();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./synthesisWorker.ts', import.meta.url), { type: 'module', name: 'synthesis' });
    w.onmessage = (e: MessageEvent<WorkerToMain>) => {
      const p = this.pending.get(e.data.requestId);
      if (!p) return;
      this.pending.delete(e.data.requestId);
      if (e.data.type === 'error') p.reject(new Error(e.data.message));
      else p.resolve(e.data);
    };
    w.onerror = (e) => {
      const err = new Error(`synthesis worker failed: ${e.message || 'could not load'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.worker = null;
      this.sentCase = -1;
    };
    this.worker = w;
    return w;
  }

  private async request(make: (requestId: number, caseId: number) => MainToWorker): Promise<WorkerToMain> {
    if (!this.files) throw new Error('open an image with its label map first');
    const w = this.start();
    const caseId = this.caseId;
    await this.sendCase(w, caseId, this.files);
    const requestId = this.nextId++;
    return new Promise<WorkerToMain>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      w.postMessage(make(requestId, caseId));
    });
  }

  /**
   * The page keeps its bytes for the next case switch, so the worker gets a copy: made in slabs
   * (one structured clone of a 512×512×300 case, 235 MB, blocked the page for ≈ 3 s) and then
   * transferred, not cloned again. Requests that arrive while it is under way wait for the same copy.
   */
  private async sendCase(w: Worker, caseId: number, files: CaseFiles): Promise<void> {
    if (this.sentCase === caseId) return;
    if (this.sending?.caseId === caseId) return this.sending.done;
    const done = (async () => {
      const image = await copyInSlabs(files.image.bytes);
      const label = await copyInSlabs(files.label.bytes);
      const message: MainToWorker = {
        type: 'setCase',
        caseId,
        files: { ...files, image: { name: files.image.name, bytes: image }, label: { name: files.label.name, bytes: label } },
      };
      w.postMessage(message, [image.buffer, label.buffer]);
      this.sentCase = caseId;
    })();
    this.sending = { caseId, done };
    try {
      await done;
    } finally {
      if (this.sending?.done === done) this.sending = null;
    }
  }
}
