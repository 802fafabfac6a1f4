/**
 * What every training / synthesis / evaluation command does first: the shared flags, the
 * effective config (preset → file → flags), the backend line, the manifest and its preprocessed
 * cache, and checkpoints read with errors that name the file.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parseManifest, splitByFold, type Manifest, type ManifestCase } from '../../core/manifest.ts';
import {
  readCheckpoint,
  restoreNetwork,
  type LoadedCheckpoint,
  type ModelCard,
  type ModelRole,
  type Network,
  type NetworkConfig,
} from '../../models/index.ts';
import { listFlag, numberFlag, stringFlag, type FlagSpec, type ParsedArgs } from '../args.ts';
import { initBackend, kernelThreadsLabel, type BackendChoice, type BackendInfo } from '../backend.ts';
import { activeBufferLimit, deviceLimitRefusal, type PlannedPass } from '../../models/deviceLimits.ts';
import { CliError } from '../cliTypes.ts';
import { loadConfig, parseSet, preprocessOf, readConfigFile, type RunConfig } from '../config.ts';
import { checkCards, type CardSource, type UserSource } from './cardConfig.ts';
import { buildCache, type CacheEntry } from '../data/cache.ts';
import { writeFileAtomic } from '../io.ts';
import { latestCheckpoint } from './runLoop.ts';

export const CONFIG_FLAGS: Record<string, FlagSpec> = {
  config: { type: 'string' },
  preset: { type: 'string' },
  set: { type: 'list' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  batch: { type: 'string' },
  patch: { type: 'string' },
  organ: { type: 'string' },
  workers: { type: 'string' },
  'segmentor-arch': { type: 'string' },
};

export const CONFIG_HELP = `config:
  --config FILE            JSON config (see config.json of any run: every default is listed there;
                           unknown keys are an error)
  --preset tiny|paper      base preset (default: the config file's preset.name, else the model
                           card's, else paper)
  --set KEY.PATH=VALUE     override any field, e.g. --set preset.stage2.lambdaCls=0.2 (repeatable;
                           VALUE is JSON, or a string)
  --backend webgpu|cpu|auto  tfjs backend (default auto: webgpu when Dawn finds an adapter, else cpu)
  --seed N  --batch N  --workers N
  --patch N                crop edge in voxels (sets preset.patch to N³)
  --organ NAME             specialist model for liver|pancreas|kidney (sets labelScheme specialist)
  --segmentor-arch swinunetr|unet  the segmentor S's architecture (sets preset.segmentor.kind;
                           default: paper swinunetr (MONAI SwinUNETR fs48, as the paper), tiny unet)`;

const SEGMENTOR_ARCHS: Record<string, NetworkConfig['kind']> = { swinunetr: 'swinunetr', unet: 'unet3d' };

/**
 * The effective config: the preset (--preset, else --config's preset.name, else the cards'), the
 * model cards of the checkpoints the command loads (cardConfig.ts), --config, then the flags.
 * Each flag is its own source, so a contradiction with a card names the flag as typed.
 */
export async function configFromArgs(args: ParsedArgs, extra: Record<string, unknown>[] = [], cards: CardSource[] = []): Promise<RunConfig> {
  const overrides: { what: string; value: Record<string, unknown> }[] = [];
  const arch = stringFlag(args, 'segmentor-arch');
  if (arch !== undefined) {
    if (!(arch in SEGMENTOR_ARCHS)) throw new CliError(`--segmentor-arch must be ${Object.keys(SEGMENTOR_ARCHS).join(' or ')}, got '${arch}'`);
    // First among the flags: a --set of a SwinUNETR field needs S switched already.
    overrides.push({ what: `--segmentor-arch ${arch}`, value: { preset: { segmentor: { kind: SEGMENTOR_ARCHS[arch] } } } });
  }
  for (const s of listFlag(args, 'set')) overrides.push({ what: `--set ${s}`, value: parseSet(s) });
  const run: Record<string, unknown> = {};
  const backend = stringFlag(args, 'backend');
  if (backend !== undefined) run.backend = backend;
  if (stringFlag(args, 'seed') !== undefined) run.seed = numberFlag(args, 'seed', 0, { integer: true });
  if (stringFlag(args, 'batch') !== undefined) run.batch = numberFlag(args, 'batch', 1, { integer: true, min: 1 });
  if (stringFlag(args, 'workers') !== undefined) run.workers = numberFlag(args, 'workers', 1, { integer: true, min: 1 });
  if (Object.keys(run).length) overrides.push({ what: 'flags', value: { run } });
  const organ = stringFlag(args, 'organ');
  if (organ !== undefined) overrides.push({ what: `--organ ${organ}`, value: { run: { organ }, preset: { labelScheme: 'specialist', segmentor: { outChannels: 3 } } } });
  const patch = stringFlag(args, 'patch');
  if (patch !== undefined) {
    const p = numberFlag(args, 'patch', 0, { integer: true, min: 4 });
    overrides.push({ what: `--patch ${patch}`, value: { preset: { patch: [p, p, p] } } });
  }
  for (const e of extra) overrides.push({ what: 'flags', value: e });
  const presetName = stringFlag(args, 'preset');
  const file = stringFlag(args, 'config');
  const fileValue = file !== undefined ? await readConfigFile(file) : undefined;
  if (cards.length) {
    const users: UserSource[] = [
      ...(presetName !== undefined ? [{ what: `--preset ${presetName}`, value: { preset: { name: presetName } } }] : []),
      ...(file !== undefined ? [{ what: `--config ${file}`, value: fileValue }] : []),
      ...overrides,
    ];
    for (const note of checkCards(cards, users, args.flags['override-card'] === true)) process.stderr.write(`note: ${note}\n`);
  }
  return loadConfig({
    presetName,
    defaultPresetName: cards.find((c) => c.presetName)?.presetName,
    file,
    fileValue,
    base: cards.map((c) => ({ what: `${c.file} (model card)`, value: c.value })),
    overrides,
  });
}

/** Activate the backend and say which one (and which adapter) at the start of the run. */
export async function startBackend(choice: BackendChoice, label: string): Promise<BackendInfo> {
  let info: BackendInfo;
  try {
    info = await initBackend(choice);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const kernels = `${info.kernels} conv3d kernels${info.threads ? ` · ${kernelThreadsLabel(info.threads)}` : ''}`;
  process.stderr.write(`${label}: backend ${info.backend} (${info.adapter} · ${kernels})${info.fallbackReason ? ` — webgpu unavailable: ${info.fallbackReason}` : ''}\n`);
  return info;
}

/**
 * Refuse, before any network runs, a pass whose largest tensor exceeds the WebGPU device's
 * per-buffer limit: Dawn does not throw there, the kernel silently computes garbage.
 */
export function assertFitsDevice(passes: PlannedPass[]): void {
  const err = deviceLimitRefusal(passes, activeBufferLimit(), 'use --backend cpu, a smaller patch, or a GPU with larger limits');
  if (err) throw new CliError(err.message);
}

export interface LoadedManifest {
  file: string;
  manifest: Manifest;
  root: string;
}

export async function loadManifestFile(path: string): Promise<LoadedManifest> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`${file}: cannot read the manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const manifest = parseManifest(text, file);
  return { file, manifest, root: isAbsolute(manifest.root) ? manifest.root : resolve(dirname(file), manifest.root) };
}

/** `--fold K`: hold fold K out of training (train) or evaluate only fold K (eval); absent: all cases. */
export function foldCases(m: Manifest, fold: number | undefined, use: 'train' | 'val'): ManifestCase[] {
  if (fold === undefined) return m.cases;
  if (fold >= m.folds) throw new CliError(`--fold ${fold}: the manifest has ${m.folds} fold(s) (0..${m.folds - 1})`);
  const s = splitByFold(m.cases, fold);
  return use === 'train' ? s.train : s.val;
}

export function foldFlag(args: ParsedArgs): number | undefined {
  return stringFlag(args, 'fold') === undefined ? undefined : numberFlag(args, 'fold', 0, { integer: true, min: 0 });
}

/**
 * Preprocess (or reuse) the cache and return the entries of `cases`. The whole manifest is cached,
 * in a folder of its own under `--cache DIR` (default `<manifest dir>/.freetumor-cache`): buildCache
 * prunes files no case of its call refers to, so caching one fold (or another manifest) into a shared
 * folder would delete the others' files and preprocess them again on the next command.
 */
export async function cacheFor(lm: LoadedManifest, cases: ManifestCase[], cfg: RunConfig, cacheDir: string | undefined, label: string): Promise<CacheEntry[]> {
  if (!cases.length) throw new CliError(`${lm.file}: no case to use (check --fold)`);
  const tag = createHash('sha256').update(lm.file).digest('hex').slice(0, 8);
  const dir = join(resolve(cacheDir ?? join(dirname(lm.file), '.freetumor-cache')), `${basename(lm.file).replace(/[^A-Za-z0-9._-]+/g, '_')}-${tag}`);
  let built = 0;
  const all = await buildCache(lm.manifest.cases, lm.root, dir, preprocessOf(cfg), {
    onProgress: (_d, _t, _id, b) => {
      if (b) built++;
    },
  });
  const wanted = new Set(cases.map((c) => c.id));
  const entries = all.filter((e) => wanted.has(e.id));
  process.stderr.write(`${label}: ${entries.length} case(s) from ${lm.file} (${built} preprocessed now, cache ${dir})\n`);
  return entries;
}

/** A checkpoint path: a file, a checkpoint directory (model.safetensors) or a run directory (its latest). */
export async function resolveCheckpoint(path: string): Promise<string> {
  const p = resolve(path);
  let s;
  try {
    s = await stat(p);
  } catch {
    throw new CliError(`${p}: no such checkpoint`);
  }
  if (s.isFile()) return p;
  const direct = join(p, CHECKPOINT_FILE);
  if (await stat(direct).then(() => true, () => false)) return direct;
  const latest = await latestCheckpoint(p);
  if (latest) return join(latest, CHECKPOINT_FILE);
  throw new CliError(`${p}: neither a checkpoint file nor a directory holding ${CHECKPOINT_FILE} or checkpoints/latest`);
}

export const CHECKPOINT_FILE = 'model.safetensors';

export async function openCheckpoint(path: string): Promise<{ file: string; ck: LoadedCheckpoint }> {
  const file = await resolveCheckpoint(path);
  try {
    return { file, ck: readCheckpoint(new Uint8Array(await readFile(file))) };
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
}

/**
 * Rebuild a network, refusing (exit 2, naming the file) one of another role, label scheme or —
 * when `config` is given — architecture.
 */
export function restoreChecked(c: { file: string; ck: LoadedCheckpoint }, name: string, expect: { config?: NetworkConfig; role: ModelRole; labelScheme?: string }): Network {
  const entry = c.ck.manifest.networks[name];
  if (entry && expect.labelScheme && entry.role === 'segmentor' && (entry.labelScheme ?? 'universal') !== expect.labelScheme)
    throw new CliError(`${c.file}: network "${name}" is a ${entry.labelScheme} segmentor, this run needs a ${expect.labelScheme} one`);
  try {
    return restoreNetwork(c.ck, name, expect);
  } catch (e) {
    throw new CliError(`${c.file}: ${(e as Error).message}`);
  }
}

/** Write the effective config (and what the command added) next to the outputs. */
export async function writeRunConfig(outDir: string, cfg: RunConfig, command: Record<string, unknown>): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const text = JSON.stringify({ ...cfg, command }, null, 2) + '\n';
  await writeFileAtomic(join(outDir, 'config.json'), new TextEncoder().encode(text));
}

/**
 * The crop a model was trained on, for its model card: a checkpoint trained with --patch or a
 * changed spacing must not be read back with the preset's defaults (the quality lab sizes its
 * crops from these). Patch in x, y, z voxel order.
 */
export function cropGeometry(preset: { patch: [number, number, number]; spacingMm: number }): { patch: [number, number, number]; spacingMm: number } {
  return { patch: [preset.patch[2], preset.patch[1], preset.patch[0]], spacingMm: preset.spacingMm };
}

/**
 * A segmentor card's label scheme and, for a specialist, its organ — the lab and the reader study
 * place tumours in that organ only, so every command that writes an S must record it.
 */
export function segmentorScheme(cfg: RunConfig): Pick<ModelCard, 'labelScheme' | 'organ'> {
  const scheme = cfg.preset.labelScheme;
  return scheme === 'specialist' && cfg.run.organ ? { labelScheme: scheme, organ: cfg.run.organ } : { labelScheme: scheme };
}

/** Flags every training command takes, besides the config flags. */
export const TRAIN_FLAGS = {
  manifest: { type: 'string' },
  out: { type: 'string' },
  fold: { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  'warmup-epochs': { type: 'string' },
  'warmup-steps': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'boolean' },
  cache: { type: 'string' },
} as const satisfies Record<string, FlagSpec>;

/** The length and warm-up flags, for each command's help. */
export const LENGTH_HELP = `  --epochs E               length in epochs (an epoch: every case visited as the sampling says —
                           labelled ×10, unlabelled and synthetic ×1, crops per visit — in batches)
  --steps N                length in steps instead of epochs
  --warmup-epochs E        linear warm-up in epochs (default 2; stages 1 and 3)
  --warmup-steps N         linear warm-up in steps instead`;

/**
 * Config overrides from --epochs / --steps, --warmup-epochs / --warmup-steps (stages 1 and 3,
 * into preset.stageN; stage 2's length lives in run.stage2*) and --checkpoint-every.
 */
export function runOverrides(args: ParsedArgs, stage: 'stage1' | 'stage2' | 'stage3'): Record<string, unknown>[] {
  const extra: Record<string, unknown>[] = [];
  const has = (f: string) => stringFlag(args, f) !== undefined;
  if (has('steps') && has('epochs')) throw new CliError('give the length as --epochs or as --steps, not both');
  if (has('warmup-steps') && has('warmup-epochs')) throw new CliError('give the warm-up as --warmup-epochs or as --warmup-steps, not both');
  const at = (fields: Record<string, unknown>) => extra.push(stage === 'stage2' ? { run: fields } : { preset: { [stage]: fields } });
  if (stage === 'stage2') {
    if (has('warmup-steps') || has('warmup-epochs')) throw new CliError('stage 2 has no warm-up (constant-lr Adam, as the reference)');
    if (has('steps')) at({ stage2Unit: 'steps', stage2Steps: numberFlag(args, 'steps', 1, { integer: true, min: 1 }) });
    if (has('epochs')) at({ stage2Unit: 'epochs', stage2Epochs: numberFlag(args, 'epochs', 1, { min: 0 }) });
  } else {
    if (has('steps')) at({ lengthUnit: 'steps', totalSteps: numberFlag(args, 'steps', 1, { integer: true, min: 1 }) });
    if (has('epochs')) at({ lengthUnit: 'epochs', epochs: numberFlag(args, 'epochs', 1, { min: 0 }) });
    if (has('warmup-steps')) at({ warmupUnit: 'steps', warmupSteps: numberFlag(args, 'warmup-steps', 0, { integer: true, min: 0 }) });
    if (has('warmup-epochs')) at({ warmupUnit: 'epochs', warmupEpochs: numberFlag(args, 'warmup-epochs', 2, { min: 0 }) });
  }
  if (has('checkpoint-every'))
    extra.push({ run: { checkpointEvery: numberFlag(args, 'checkpoint-every', 1, { integer: true, min: 1 }) } });
  return extra;
}
