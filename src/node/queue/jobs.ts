/**
 * What a queued case job is and where its result lives. A job's result file is named by the case
 * id and a hash of everything that decides that case's outputs (the command's effective config,
 * the checkpoints' bytes, the case's manifest entry and its source files' size and mtime), so a
 * job whose result already exists with that hash is done, whoever ran it and whenever.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ManifestCase } from '../../core/manifest.ts';
import { caseFiles } from '../data/loadCase.ts';
import { writeFileAtomic } from '../io.ts';

export type JobKind = 'synthesize' | 'evaluate' | 'cache';

export interface CaseJob {
  kind: JobKind;
  /** The command's argv with paths made absolute: every worker rebuilds the same setup from it. */
  argv: string[];
  /** Hash of argv's effective setup: a worker keeps one setup per hash. */
  configHash: string;
  /** Which manifest (evaluate takes several) and which case of it. */
  manifest: number;
  caseId: string;
  /** Position among the run's cases, for logs. */
  index: number;
  total: number;
  caseHash: string;
  resultFile: string;
}

export interface CaseResultFile<R = unknown> {
  kind: JobKind;
  caseId: string;
  caseHash: string;
  result: R;
}

/** The directory of result files under a command's output directory. */
export const RESULTS_DIR = '.queue';

export const hashOf = (value: unknown): string => createHash('sha256').update(typeof value === 'string' ? value : JSON.stringify(value)).digest('hex');

export async function fileHash(path: string): Promise<string> {
  return hashOf((await readFile(path)).toString('base64'));
}

export async function caseHashOf(configHash: string, c: ManifestCase, root: string): Promise<string> {
  const files = await Promise.all(
    caseFiles(c, root).map(async (p) => {
      const s = await stat(p).catch(() => null);
      return { p, size: s?.size ?? null, mtime: s?.mtimeMs ?? null };
    }),
  );
  return hashOf({ configHash, c, root, files }).slice(0, 24);
}

const safeName = (id: string) => id.replace(/[^A-Za-z0-9._-]+/g, '_');

export function resultFileOf(outDir: string, caseId: string, caseHash: string): string {
  return join(outDir, RESULTS_DIR, `${safeName(caseId)}-${caseHash}.json`);
}

/**
 * JSON that keeps NaN and ±Infinity (metrics have them): plain JSON would turn them into null
 * and the coordinator's summary would differ from a single-process run's.
 */
export function encodeResult(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v));
}

export function decodeResult<T>(text: string): T {
  return JSON.parse(text, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$number === 'string' ? Number(v.$number) : v)) as T;
}

/** The result, or null when the file is missing, unreadable or for another hash. */
export async function readResult<R>(file: string, caseHash: string): Promise<CaseResultFile<R> | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const r = decodeResult<CaseResultFile<R>>(text);
    return r.caseHash === caseHash ? r : null;
  } catch {
    return null;
  }
}

export async function writeResult<R>(job: CaseJob, result: R): Promise<void> {
  const body: CaseResultFile<R> = { kind: job.kind, caseId: job.caseId, caseHash: job.caseHash, result };
  await mkdir(dirname(job.resultFile), { recursive: true });
  await writeFileAtomic(job.resultFile, new TextEncoder().encode(encodeResult(body) + '\n'));
}

/**
 * Remove the temporary files of writeFileAtomic (".<name>.<pid>.<hex>.tmp") that a killed worker
 * left: run by the coordinator once every job is done, when no writer is left.
 */
export async function removeStaleTemps(dirs: string[]): Promise<number> {
  let n = 0;
  for (const d of dirs) {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    for (const f of names) {
      if (/^\..+\.\d+\.[0-9a-f]{8}\.tmp$/.test(f)) {
        await unlink(join(d, f)).catch(() => {});
        n++;
      }
    }
  }
  return n;
}

/** argv with the values of `pathFlags` made absolute against `cwd`, so any worker reads the same files. */
export function absolutePaths(argv: string[], pathFlags: string[], resolvePath: (p: string) => string): string[] {
  const out: string[] = [];
  for (let n = 0; n < argv.length; n++) {
    const a = argv[n];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? a.slice(2, eq < 0 ? undefined : eq) : '';
    if (!pathFlags.includes(name)) {
      out.push(a);
    } else if (eq >= 0) {
      out.push(`--${name}=${resolvePath(a.slice(eq + 1))}`);
    } else {
      out.push(a);
      if (n + 1 < argv.length) out.push(resolvePath(argv[++n]));
    }
  }
  return out;
}
