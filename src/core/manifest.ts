/**
 * Dataset manifests: one JSON file listing every case of a training set — where its image and
 * labels are, which label map reads them, whether it carries tumour labels, and its fold.
 * Paths are relative to the manifest's `root` so a manifest moves with its data.
 */
import { LABEL_MAPS, MASK_FILE_NAMES } from './labels.ts';

export const MANIFEST_VERSION = 1;
export const DEFAULT_FOLDS = 5;

/** Per-structure binary masks (TotalSegmentator training data, AbdomenAtlas): mask name → path. */
export interface MaskSet {
  masks: Record<string, string>;
}

export interface ManifestCase {
  /** Unique within the manifest, e.g. "lits/volume-12". */
  id: string;
  /** Dataset the case came from: oversampling and source balancing group by it. */
  source: string;
  image: string;
  /** One integer label file (read through `labelMap`), or a set of binary masks. */
  label: string | MaskSet;
  /** A name in LABEL_MAPS; required when `label` is one file. */
  labelMap?: string;
  /** True when the case has tumour labels ("labelled" in FreeTumor's sense). */
  labeled: boolean;
  fold: number;
}

export interface Manifest {
  version: number;
  /** Directory the case paths are relative to (absolute, or relative to the manifest file). */
  root: string;
  folds: number;
  seed: number;
  cases: ManifestCase[];
}

export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  - ${problems.join('\n  - ')}`);
    this.name = 'ManifestError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural problems of a manifest object; [] when it is well formed. Lists all, not the first. */
export function manifestProblems(m: unknown): string[] {
  const p: string[] = [];
  if (!isObject(m)) return ['the manifest is not a JSON object'];
  if (m.version !== MANIFEST_VERSION) p.push(`version must be ${MANIFEST_VERSION}, got ${JSON.stringify(m.version)}`);
  if (typeof m.root !== 'string') p.push('root must be a string');
  const folds = m.folds;
  if (!Number.isInteger(folds) || (folds as number) < 1) p.push(`folds must be a positive integer, got ${JSON.stringify(folds)}`);
  if (!Number.isInteger(m.seed)) p.push(`seed must be an integer, got ${JSON.stringify(m.seed)}`);
  if (!Array.isArray(m.cases)) return [...p, 'cases must be an array'];
  if (m.cases.length === 0) p.push('cases is empty');
  const seen = new Set<string>();
  m.cases.forEach((c: unknown, n: number) => {
    const at = `cases[${n}]`;
    if (!isObject(c)) {
      p.push(`${at} is not an object`);
      return;
    }
    const id = typeof c.id === 'string' && c.id ? c.id : null;
    const where = id ? `${at} (${id})` : at;
    if (!id) p.push(`${at}: id must be a non-empty string`);
    else if (seen.has(id)) p.push(`${where}: duplicate id`);
    else seen.add(id);
    if (typeof c.source !== 'string' || !c.source) p.push(`${where}: source must be a non-empty string`);
    if (typeof c.image !== 'string' || !c.image) p.push(`${where}: image must be a path`);
    if (typeof c.label === 'string') {
      if (typeof c.labelMap !== 'string') p.push(`${where}: labelMap is required with a single label file`);
      else if (!LABEL_MAPS[c.labelMap]) p.push(`${where}: unknown labelMap '${c.labelMap}' (known: ${Object.keys(LABEL_MAPS).join(', ')})`);
    } else if (isObject(c.label) && isObject(c.label.masks)) {
      const names = Object.keys(c.label.masks);
      if (names.length === 0) p.push(`${where}: label.masks is empty`);
      for (const name of names) {
        if (!MASK_FILE_NAMES[name]) p.push(`${where}: unknown mask '${name}' (known: ${Object.keys(MASK_FILE_NAMES).join(', ')})`);
        if (typeof c.label.masks[name] !== 'string') p.push(`${where}: label.masks.${name} must be a path`);
      }
    } else p.push(`${where}: label must be a path or { masks: { name: path } }`);
    if (typeof c.labeled !== 'boolean') p.push(`${where}: labeled must be true or false`);
    if (!Number.isInteger(c.fold) || (c.fold as number) < 0 || (Number.isInteger(folds) && (c.fold as number) >= (folds as number)))
      p.push(`${where}: fold must be an integer in 0..${Number.isInteger(folds) ? (folds as number) - 1 : 'folds-1'}, got ${JSON.stringify(c.fold)}`);
  });
  return p;
}

/** Parse and validate manifest JSON; every problem is reported at once, naming the file. */
export function parseManifest(text: string, fileName: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(fileName, [`not valid JSON: ${(e as Error).message}`]);
  }
  const problems = manifestProblems(m);
  if (problems.length) throw new ManifestError(fileName, problems);
  return m as Manifest;
}

/**
 * Assign folds stratified by (source, labeled): each group is shuffled with `random` (uniform
 * [0,1), from the seeded RNG) and dealt round-robin, starting where the previous group stopped,
 * so fold sizes differ by at most one overall and per group.
 */
export function assignFolds<T extends { source: string; labeled: boolean; id: string }>(
  cases: T[],
  folds: number,
  random: () => number,
): (T & { fold: number })[] {
  if (!Number.isInteger(folds) || folds < 1) throw new Error(`folds must be a positive integer, got ${folds}`);
  const groups = new Map<string, T[]>();
  // Sorted input makes the split independent of directory-listing order.
  for (const c of [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const key = `${c.source}\u0000${c.labeled}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(c);
  }
  const out: (T & { fold: number })[] = [];
  let next = 0;
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    for (let n = g.length - 1; n > 0; n--) {
      const r = Math.floor(random() * (n + 1));
      [g[n], g[r]] = [g[r], g[n]];
    }
    for (const c of g) {
      out.push({ ...c, fold: next });
      next = (next + 1) % folds;
    }
  }
  return out;
}

/** Cases of one split: fold `k` is validation, the rest training. */
export function splitByFold<T extends { fold: number }>(cases: T[], k: number): { train: T[]; val: T[] } {
  return { train: cases.filter((c) => c.fold !== k), val: cases.filter((c) => c.fold === k) };
}
