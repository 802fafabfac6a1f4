import { copyInSlabs } from './chunkedCopy.ts';
import { splitLabels, type SplitReply, type SplitRequest, type SplitResult } from './labelSplit.ts';

/**
 * Splits label maps in a worker, one request at a time per caller (loads are queued by the
 * controller). Without Worker (unit tests) it splits in place.
 */
export class LabelSplitClient {
  private worker: Worker | null = null;
  private nextId = 0;
  private pending = new Map<number, { resolve: (r: SplitResult) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./labelSplitWorker.ts', import.meta.url), { type: 'module', name: 'labels' });
    w.onmessage = (e: MessageEvent<SplitReply>) => {
      const m = e.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve({ scheme: m.scheme, counts: m.counts, masks: m.masks });
    };
    w.onerror = (e) => {
      const err = new Error(`label worker failed: ${e.message || 'could not load'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.worker = null;
    };
    this.worker = w;
    return w;
  }

  /** `data` is copied here, a slab per task; the caller's array stays as it is. */
  async split(data: SplitRequest['data'], slope: number, inter: number, scheme: SplitRequest['scheme'], dims: SplitRequest['dims']): Promise<SplitResult> {
    if (typeof Worker === 'undefined') return splitLabels(data, slope, inter, scheme, dims);
    const copy = await copyInSlabs(data);
    const w = this.start();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, data: copy, slope, inter, scheme, dims } satisfies SplitRequest, [copy.buffer as ArrayBuffer]);
    });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('viewer closed'));
    this.pending.clear();
  }
}
