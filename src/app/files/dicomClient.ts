import type { DicomProgress } from '../../core/dicom/types.ts';
import type { Converted, DicomBackend, DicomToMain, DroppedFile, Grid, MainToDicom, Scanned, SegDecoded, SegLabels } from './dicomMessages.ts';

type Reply = Exclude<DicomToMain, { type: 'progress' } | { type: 'error' }>;

interface Pending {
  resolve: (m: Reply) => void;
  reject: (e: Error) => void;
  onProgress?: (p: DicomProgress) => void;
}

/**
 * The page's side of the DICOM worker (src/app/files/dicomWorker.ts): requests answered by id,
 * progress forwarded to the caller. The worker starts on first use and stays for later drops.
 */
export class DicomClient implements DicomBackend {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  async scan(files: DroppedFile[], onProgress?: (p: DicomProgress) => void): Promise<Scanned> {
    const r = await this.request((requestId) => ({ type: 'scan', requestId, files }), onProgress);
    if (r.type !== 'scanned') throw new Error(`unexpected reply ${r.type}`);
    return { scanId: r.scanId, scan: r.scan };
  }

  async convert(scanId: number, seriesUID: string, onProgress?: (p: DicomProgress) => void): Promise<Converted> {
    const r = await this.request((requestId) => ({ type: 'convert', requestId, scanId, seriesUID }), onProgress);
    if (r.type !== 'converted') throw new Error(`unexpected reply ${r.type}`);
    return { nifti: r.nifti, grid: r.grid, referenceUID: r.referenceUID, log: r.log };
  }

  async readSeg(scanId: number, file: string, grid: Grid): Promise<SegDecoded> {
    const r = await this.request((requestId) => ({ type: 'readSeg', requestId, scanId, file, grid }));
    if (r.type !== 'segRead') throw new Error(`unexpected reply ${r.type}`);
    const { type: _t, requestId: _r, ...decoded } = r;
    return decoded;
  }

  async segLabels(segId: number, mapping: [number, number][]): Promise<SegLabels> {
    const r = await this.request((requestId) => ({ type: 'segLabels', requestId, segId, mapping }));
    if (r.type !== 'segLabels') throw new Error(`unexpected reply ${r.type}`);
    return { nifti: r.nifti, voxels: r.voxels };
  }

  release(scanId: number): void {
    this.worker?.postMessage({ type: 'release', scanId } satisfies MainToDicom);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.rejectAll(new Error('DICOM worker stopped'));
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./dicomWorker.ts', import.meta.url), { type: 'module', name: 'dicom' });
    w.onmessage = (e: MessageEvent<DicomToMain>) => {
      const m = e.data;
      const p = this.pending.get(m.requestId);
      if (!p) return;
      if (m.type === 'progress') {
        p.onProgress?.(m.progress);
        return;
      }
      this.pending.delete(m.requestId);
      if (m.type === 'error') p.reject(new Error(m.message));
      else p.resolve(m);
    };
    w.onerror = (e) => {
      // A worker that failed to load (or crashed in WASM) is replaced on the next request.
      this.rejectAll(new Error(`the DICOM worker failed: ${e.message || 'could not load'}`));
      this.worker = null;
    };
    this.worker = w;
    return w;
  }

  private request(make: (requestId: number) => MainToDicom, onProgress?: (p: DicomProgress) => void): Promise<Reply> {
    const w = this.start();
    const requestId = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject, onProgress });
      w.postMessage(make(requestId));
    });
  }
}
