/**
 * Project labels (0 bg, 1 liver, 2 liver tumour, 3 pancreas, 4 pancreas tumour, 5 kidney,
 * 6 kidney tumour) ↔ a model's label scheme: universal is the project scheme itself; a specialist
 * model sees 0 background, 1 its organ, 2 its organ's tumour (other organs are background).
 */
import { ORGAN_IDS, type Organ } from '../../core/labels.ts';
import type { LabelScheme } from '../../models/index.ts';

export function toModelLabels(project: Uint8Array, scheme: LabelScheme, organ: Organ | null): Uint8Array {
  if (scheme === 'universal') return project;
  if (!organ) throw new Error('a specialist label scheme needs an organ');
  const { organ: o, tumor: t } = ORGAN_IDS[organ];
  const out = new Uint8Array(project.length);
  for (let n = 0; n < project.length; n++) out[n] = project[n] === o ? 1 : project[n] === t ? 2 : 0;
  return out;
}

export function toProjectLabels(model: Uint8Array, scheme: LabelScheme, organ: Organ | null): Uint8Array {
  if (scheme === 'universal') return model;
  if (!organ) throw new Error('a specialist label scheme needs an organ');
  const { organ: o, tumor: t } = ORGAN_IDS[organ];
  const out = new Uint8Array(model.length);
  for (let n = 0; n < model.length; n++) out[n] = model[n] === 1 ? o : model[n] === 2 ? t : 0;
  return out;
}

/** Whether a project-label crop holds any real tumour voxel (of any organ). */
export function hasTumour(project: Uint8Array): boolean {
  for (let n = 0; n < project.length; n++) if (project[n] === 2 || project[n] === 4 || project[n] === 6) return true;
  return false;
}

/** Organs (of `wanted`) with at least `min` voxels (organ or its tumour) in a project-label crop. */
export function organsPresent(project: Uint8Array, wanted: readonly Organ[], min = 1): Organ[] {
  const count = new Uint32Array(8);
  for (let n = 0; n < project.length; n++) count[project[n] & 7]++;
  return wanted.filter((o) => count[ORGAN_IDS[o].organ] + count[ORGAN_IDS[o].tumor] >= min);
}
