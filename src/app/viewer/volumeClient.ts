import { NVImage } from '@niivue/niivue';
import type { VolumeLoaded, VolumeReply, VolumeRequest } from './volumeMessages.ts';
import { DEFAULT_VOLUME_LIMITS, type VolumeLimits } from './volumeLimits.ts';

export interface ReadVolume {
  volume: NVImage;
  datatype: number;
  bytes: Uint8Array;
}

/**
 * The page's side of the volume worker. One worker serves the viewer's reads one after another
 * (loads are queued by the controller); cancel() stops it, and the read in flight fails with a
 * message naming the file.
 */
export class VolumeClient {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { name: string; resolve: (r: VolumeLoaded) => void; reject: (e: Error) => void }>();

  constructor(private readonly limits: VolumeLimits = DEFAULT_VOLUME_LIMITS) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./volumeWorker.ts', import.meta.url), { type: 'module', name: 'volumes' });
    w.onmessage = (e: MessageEvent<VolumeReply>) => {
      const m = e.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m);
    };
    w.onerror = (e) => this.fail((name) => `Could not open "${name}": the volume reader failed (${e.message || 'could not load'}).`);
    this.worker = w;
    return w;
  }

  private fail(text: (name: string) => string): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error(text(p.name)));
    this.pending.clear();
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  async read(url: string, name: string, colormap: string): Promise<ReadVolume> {
    const w = this.start();
    const id = ++this.nextId;
    const loaded = await new Promise<VolumeLoaded>((resolve, reject) => {
      this.pending.set(id, { name, resolve, reject });
      w.postMessage({ id, url, name, colormap, limits: this.limits } satisfies VolumeRequest);
    });
    const volume = new NVImage();
    Object.assign(volume, loaded.fields);
    performance.measure('ftw:volume-read', { start: performance.now() - loaded.ms, end: performance.now(), detail: name });
    return { volume, datatype: loaded.datatype, bytes: loaded.bytes };
  }

  /** Stop what is being read; true when something was. */
  cancel(): boolean {
    if (!this.busy) return false;
    this.fail((name) => `Opening "${name}" was cancelled.`);
    return true;
  }

  dispose(): void {
    this.fail((name) => `Opening "${name}" stopped: the viewer closed.`);
  }
}
