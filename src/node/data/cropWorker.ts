/**
 * A loader thread: reads cache files and cuts the crops the main thread asked for. It keeps the
 * last few decoded cases (cropsPerVisit crops come from one case in a row) and nothing else, so a
 * worker's memory is a few cases whatever the dataset's size.
 */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { cropStart, extractPatch, type CropRequest } from '../../core/sampling.ts';
import type { Vec3 } from '../../core/volume.ts';
import { decodeCase } from './cache.ts';

export interface CropJob {
  seq: number;
  file: string;
  patch: Vec3;
  request: CropRequest;
}
export interface CropResult {
  seq: number;
  image?: Float32Array;
  label?: Uint8Array;
  start?: Vec3;
  error?: string;
}

const KEEP = 2;
const recent = new Map<string, Promise<ReturnType<typeof decodeCase>>>();

function decoded(file: string) {
  let p = recent.get(file);
  if (!p) {
    p = readFile(file).then((b) => decodeCase(b, file));
    recent.set(file, p);
    while (recent.size > KEEP) recent.delete(recent.keys().next().value as string);
  }
  return p;
}

parentPort!.on('message', async (job: CropJob) => {
  try {
    const c = await decoded(job.file);
    const start = cropStart(c.label, c.header.dims, job.patch, job.request);
    const image = extractPatch(c.image, c.header.dims, start, job.patch);
    const label = extractPatch(c.label, c.header.dims, start, job.patch);
    const res: CropResult = { seq: job.seq, image, label, start };
    parentPort!.postMessage(res, [image.buffer as ArrayBuffer, label.buffer as ArrayBuffer]);
  } catch (e) {
    recent.delete(job.file);
    parentPort!.postMessage({ seq: job.seq, error: (e as Error).message } satisfies CropResult);
  }
});
