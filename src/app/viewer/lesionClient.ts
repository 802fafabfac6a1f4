import type { Lesion } from '../../core/lesions.ts';
import { PROJECT_LABEL_NAMES, type ProjectLabelName } from '../../core/labels.ts';
import type { LesionReply, LesionRequest } from './lesionMessages.ts';
import { copyInSlabs } from './chunkedCopy.ts';
import type { LabelState } from './labelLayers.ts';
import type { SyntheticCase } from './syntheticOverlay.ts';
import type { ImageState } from './viewerTypes.ts';

const PROJECT_LABEL_IDS = Object.fromEntries(Object.entries(PROJECT_LABEL_NAMES).map(([id, name]) => [name, Number(id)])) as Record<ProjectLabelName, number>;

/**
 * What the worker needs to measure the case's tumours: the label map as stored, the synthetic
 * tumours and the image values, each a copy the worker may own (copied a slab per task, so the
 * page's thread is never held for the whole volume). Synthetic tumours and HU only when the label
 * map is on the image grid (a resampled one has no voxel-to-voxel match).
 */
export async function lesionRequest(lab: LabelState, image: ImageState, synthetic: SyntheticCase | null): Promise<Omit<LesionRequest, 'id'>> {
  const sameGrid = lab.file.dims.every((d, a) => d === image.file.dims[a]) && lab.affine.every((x, n) => Math.abs(x - image.affine[n]) < 1e-4);
  const s = sameGrid ? synthetic : null;
  const toProject: Record<number, number> = {};
  for (const [id, name] of Object.entries(lab.map.toProject)) toProject[Number(id)] = PROJECT_LABEL_IDS[name];
  type Voxels = LesionRequest['labels']['data'];
  // Outside the soft masks the synthetic image equals the original, so it serves real lesions too.
  const hu = !sameGrid ? null : s ? { data: await copyInSlabs(s.image), slope: 1, inter: 0 } : { data: await copyInSlabs(image.volume.img as Voxels), slope: image.slope, inter: image.inter };
  return {
    dims: lab.file.dims,
    affine: lab.affine,
    labels: { data: await copyInSlabs(lab.segment.img as Voxels), slope: lab.slope, inter: lab.inter, toProject },
    synthetic: s ? await copyInSlabs(s.tumourLabel) : null,
    image: hu,
  };
}

/**
 * Lesion statistics in a worker. Only the newest request counts: a label map or synthesis that
 * changes while one is being measured makes the earlier answer stale, and it is dropped.
 */
export class LesionClient {
  private worker: Worker | null = null;
  private latest = 0;
  private pending = new Map<number, { resolve: (l: Lesion[] | null) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./lesionWorker.ts', import.meta.url), { type: 'module', name: 'lesions' });
    w.onmessage = (e: MessageEvent<LesionReply>) => {
      const m = e.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.id !== this.latest) p.resolve(null);
      else if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.lesions);
    };
    w.onerror = (e) => {
      const err = new Error(`lesion worker failed: ${e.message || 'could not load'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.worker = null;
    };
    this.worker = w;
    return w;
  }

  /** Resolves with the lesions, or null when a newer request superseded this one. */
  measure(req: Omit<LesionRequest, 'id'>): Promise<Lesion[] | null> {
    const id = ++this.latest;
    const w = this.start();
    const transfer: Transferable[] = [req.labels.data.buffer as ArrayBuffer];
    if (req.synthetic) transfer.push(req.synthetic.buffer as ArrayBuffer);
    if (req.image && req.image.data.buffer !== req.labels.data.buffer) transfer.push(req.image.data.buffer as ArrayBuffer);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, ...req } satisfies LesionRequest, transfer);
    });
  }

  /** Forget what is in flight (a new case). */
  cancel(): void {
    this.latest++;
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.resolve(null);
    this.pending.clear();
  }
}
