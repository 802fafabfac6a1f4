/**
 * Real-tumour candidates: each connected component of a case's tumour labels (project ids 2/4/6,
 * 6-connectivity as scipy.ndimage.label's default) is one candidate lesion.
 */
import { ORGAN_IDS, type Organ } from '../../core/labels.ts';
import { voxelVolumeMm3 } from '../../core/tumor/positionSimulation.ts';
import { DEFAULT_SIZE_CLASS_CONFIG, type SizeClass } from '../../core/tumor/sizeClasses.ts';
import type { LabelVolume, Vec3 } from '../../core/volume.ts';

export interface Candidate {
  organ: Organ;
  tumourId: number;
  voxels: number;
  volumeMm3: number;
  /** A voxel of the component nearest its centroid (the centroid itself when inside). */
  centre: Vec3;
  sizeClass: SizeClass;
}

const ORGAN_OF_TUMOUR: Record<number, Organ> = Object.fromEntries(
  (Object.entries(ORGAN_IDS) as [Organ, { tumor: number }][]).map(([o, ids]) => [ids.tumor, o]),
);

/**
 * Size class of a real lesion from its equivalent-sphere radius, with the synthetic classes'
 * upper semi-axis bound (1.25 r × 1.5 mm: 7.5, 15, 30 mm) as the class limits.
 */
export function sizeClassOfVolume(volumeMm3: number): SizeClass {
  const r = Math.cbrt((3 * volumeMm3) / (4 * Math.PI));
  const c = DEFAULT_SIZE_CLASS_CONFIG;
  const limit = (cls: SizeClass) => c.semiAxisFactor[1] * c.classes[cls].radius * c.referenceSpacingMm;
  if (r <= limit('tiny')) return 'tiny';
  if (r <= limit('small')) return 'small';
  if (r <= limit('medium')) return 'medium';
  return 'large';
}

/** Connected tumour components of a project-scheme label map, largest first. */
export function findCandidates(label: LabelVolume, minVoxels = 8): Candidate[] {
  const [nx, ny, nz] = label.dims;
  const n = nx * ny * nz;
  const lab = label.data;
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const vvol = voxelVolumeMm3(label.affine);
  const out: Candidate[] = [];
  for (let start = 0; start < n; start++) {
    const id = lab[start];
    if (seen[start] || !ORGAN_OF_TUMOUR[id]) continue;
    // Flood fill one component of this tumour id.
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    const members: number[] = [];
    let si = 0, sj = 0, sk = 0;
    while (top > 0) {
      const idx = stack[--top];
      members.push(idx);
      const i = idx % nx;
      const j = Math.floor(idx / nx) % ny;
      const k = Math.floor(idx / (nx * ny));
      si += i; sj += j; sk += k;
      const push = (m: number) => {
        if (!seen[m] && lab[m] === id) {
          seen[m] = 1;
          stack[top++] = m;
        }
      };
      if (i > 0) push(idx - 1);
      if (i < nx - 1) push(idx + 1);
      if (j > 0) push(idx - nx);
      if (j < ny - 1) push(idx + nx);
      if (k > 0) push(idx - nx * ny);
      if (k < nz - 1) push(idx + nx * ny);
    }
    if (members.length < minVoxels) continue;
    const c: Vec3 = [si / members.length, sj / members.length, sk / members.length];
    let best = members[0];
    let bestD = Infinity;
    for (const m of members) {
      const d = (m % nx - c[0]) ** 2 + ((Math.floor(m / nx) % ny) - c[1]) ** 2 + (Math.floor(m / (nx * ny)) - c[2]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = m;
      }
    }
    const volumeMm3 = members.length * vvol;
    out.push({
      organ: ORGAN_OF_TUMOUR[id],
      tumourId: id,
      voxels: members.length,
      volumeMm3,
      centre: [best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))],
      sizeClass: sizeClassOfVolume(volumeMm3),
    });
  }
  return out.sort((a, b) => b.voxels - a.voxels);
}

/** Organs (project ids 1/3/5, or their tumour ids) present in a label map. */
export function organsPresent(label: LabelVolume): Organ[] {
  const present = new Set<number>();
  for (let n = 0; n < label.data.length; n++) present.add(label.data[n]);
  return (Object.keys(ORGAN_IDS) as Organ[]).filter((o) => present.has(ORGAN_IDS[o].organ));
}
