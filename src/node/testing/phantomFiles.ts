/**
 * The project's own abdominal phantom as NIfTI files, for tests that need a CT and its labels on
 * disk whether or not ../shared is beside the checkout.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeAbdomenPhantom, type PhantomOptions } from '../../core/phantom/index.ts';
import { writeNiftiFile } from '../io.ts';

export interface PhantomFiles {
  ct: string;
  seg: string;
}

/** phantom_ct.nii.gz (int16 HU) and phantom_seg.nii.gz (TotalSegmentator ids) in `dir`. */
export async function writePhantomFiles(dir: string, options: PhantomOptions = {}): Promise<PhantomFiles> {
  await mkdir(dir, { recursive: true });
  const p = makeAbdomenPhantom(options);
  const files = { ct: join(dir, 'phantom_ct.nii.gz'), seg: join(dir, 'phantom_seg.nii.gz') };
  await writeNiftiFile(files.ct, p.image);
  await writeNiftiFile(files.seg, p.labels);
  return files;
}
