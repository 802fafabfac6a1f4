/**
 * The effective configuration of a training / synthesis / evaluation run: every METHOD.md number
 * as a named default (model preset, preprocessing, sampling, position simulation, run options).
 * Sources, later ones winning: the preset (`--preset tiny|paper`), a JSON file (`--config`), then
 * flags (`--set a.b.c=value` for any field, plus the common short flags). Unknown keys and wrongly
 * typed values are errors naming the file, so a typo never silently trains with a default.
 */
import { readFile } from 'node:fs/promises';
import { makePreset, withSegmentorKind, NUM_CLASSES, PRESETS, spatialMultiple, type LengthUnit, type NetworkConfig, type Preset, type PresetName } from '../models/index.ts';
import { DEFAULT_SAMPLING, type SamplingConfig } from '../core/sampling.ts';
import { DEFAULT_NSD_TOLERANCE_MM } from '../core/metrics.ts';
import {
  DEFAULT_HANDCRAFTED_OPTIONS,
  DEFAULT_POSITION_OPTIONS,
  DEFAULT_TEXTURE_OPTIONS,
  type PositionSimulationOptions,
  type SizeClass,
  type TextureOptions,
} from '../core/tumor/index.ts';
import { HU_WINDOW_HI, HU_WINDOW_LO } from '../core/window.ts';
import type { PreprocessConfig } from '../core/preprocess.ts';
import type { Organ } from '../core/labels.ts';
import type { BackendChoice } from './backend.ts';
import { CliError } from './cliTypes.ts';

/** Preprocessing besides spacing and patch, which come from the model preset (one source of truth). */
export interface PreprocessSection {
  windowLo: number;
  windowHi: number;
  /** Context kept around the labelled foreground, mm. */
  marginMm: number;
}

/** Position simulation as the training commands use it (the seed is drawn from the run's stream). */
export type PositionSection = Omit<PositionSimulationOptions, 'seed' | 'centres' | 'sizeClass'> & {
  /** Force one size class (null: drawn with sizeClasses.probabilities). */
  sizeClass: SizeClass | null;
};

export interface RunSection {
  seed: number;
  /** Crops per step. METHOD.md stage 2: batch 4. */
  batch: number;
  /**
   * Stage-2 length: `stage2Epochs` epochs (paper: 100) or `stage2Steps` steps, as `stage2Unit`
   * says (stages 1 and 3 take theirs from preset.stage1/stage3). An epoch: core/sampling.ts stepsPerEpoch.
   */
  stage2Unit: LengthUnit;
  stage2Epochs: number;
  stage2Steps: number;
  checkpointEvery: number;
  /** Checkpoints kept besides the latest. */
  keepCheckpoints: number;
  /** Loader threads and read-ahead. */
  workers: number;
  prefetch: number;
  backend: BackendChoice;
  /** Stage 3: chance that an eligible crop (organ, no real tumour) gets a synthetic tumour. */
  synthesisProbability: number;
  /** Offline synthesis: tries per case until the quality test passes. */
  offlineRetries: number;
  /** Specialist label scheme: the organ the model segments (null for universal). */
  organ: Organ | null;
  /** Organs tumours are placed in (each tumour picks one present in its crop). */
  organs: Organ[];
}

export interface RunConfig {
  preset: Preset;
  preprocess: PreprocessSection;
  /** Stages 1 and 3: labelled ×10, pos:neg 1:1, 4 crops per visit. */
  sampling: SamplingConfig;
  /** Stage 2 (reference): labelled sources oversampled (LiTS ×200, MSD-Pancreas ×100, KiTS ×100), one foreground crop per visit. */
  synthesisSampling: SamplingConfig;
  position: PositionSection;
  /** Handcrafted (SynTumor-like) tumours for stage 1 without real tumour labels: darkening d ~ U(lo, hi). */
  handcrafted: { darkening: [number, number] };
  /** SynTumor texture T (σ_a, σ_b, s, b, β, …); one texture of `size` is made per run and cropped. */
  texture: Omit<TextureOptions, 'seed'>;
  run: RunSection;
  /** `freetumor evaluate`: NSD tolerance (SynTumor's validation: surface Dice at 2 mm). */
  evaluation: { nsdToleranceMm: number };
}

export const DEFAULT_PREPROCESS_SECTION: PreprocessSection = { windowLo: HU_WINDOW_LO, windowHi: HU_WINDOW_HI, marginMm: 24 };
export const DEFAULT_SYNTHESIS_SAMPLING: SamplingConfig = {
  labeledOversample: 1,
  syntheticOversample: 1,
  sourceOversample: { lits: 200, 'msd-liver': 200, 'msd-pancreas': 100, kits: 100 },
  positiveFraction: 1,
  cropsPerVisit: 1,
};
export const DEFAULT_RUN: RunSection = {
  seed: 0,
  batch: 4,
  stage2Unit: 'epochs',
  stage2Epochs: 100,
  stage2Steps: 1000,
  checkpointEvery: 100,
  keepCheckpoints: 2,
  workers: 2,
  prefetch: 8,
  backend: 'auto',
  synthesisProbability: 1,
  offlineRetries: 10,
  organ: null,
  organs: ['liver', 'pancreas', 'kidney'],
};

export function defaultConfig(presetName: PresetName): RunConfig {
  const { seed: _seed, centres: _centres, sizeClass: _sc, ...position } = structuredClone(DEFAULT_POSITION_OPTIONS);
  return {
    preset: makePreset(presetName),
    preprocess: { ...DEFAULT_PREPROCESS_SECTION },
    sampling: structuredClone(DEFAULT_SAMPLING),
    synthesisSampling: structuredClone(DEFAULT_SYNTHESIS_SAMPLING),
    position: { ...position, sizeClass: null },
    handcrafted: { darkening: [...DEFAULT_HANDCRAFTED_OPTIONS.darkening] },
    texture: (({ seed: _s, ...t }) => structuredClone(t))(DEFAULT_TEXTURE_OPTIONS),
    run: structuredClone(DEFAULT_RUN),
    evaluation: { nsdToleranceMm: DEFAULT_NSD_TOLERANCE_MM },
  };
}

/** Objects whose keys are data (source names, class names), not fields. */
const OPEN_PATHS = new Set(['sampling.sourceOversample', 'synthesisSampling.sourceOversample', 'provenance']);
/** Fields whose default is null and whose type is checked by `validateConfig`. */
const NULLABLE = new Set(['position.sizeClass', 'run.organ', 'position.classProbabilities']);

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Merge `over` into `base` in place, recording unknown keys and type mismatches. */
function mergeChecked(base: Record<string, unknown>, over: unknown, path: string, problems: string[]): void {
  if (kind(over) !== 'object') {
    problems.push(`${path || 'the config'} must be an object, got ${kind(over)}`);
    return;
  }
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    const open = OPEN_PATHS.has(path);
    if (!(k in base) && !open && !NULLABLE.has(p)) {
      const known = Object.keys(base);
      problems.push(`unknown key '${p}'${known.length ? ` (known here: ${known.join(', ')})` : ''}`);
      continue;
    }
    const cur = base[k];
    if (open) {
      base[k] = structuredClone(v);
    } else if (cur === null || cur === undefined) {
      base[k] = structuredClone(v);
    } else if (kind(cur) === 'object') {
      mergeChecked(cur as Record<string, unknown>, v, p, problems);
    } else if (kind(cur) !== kind(v)) {
      problems.push(`'${p}' must be ${kind(cur) === 'array' ? 'an array' : `a ${kind(cur)}`}, got ${JSON.stringify(v)}`);
    } else base[k] = structuredClone(v);
  }
}

const describeDepth = (n: NetworkConfig) => (n.kind === 'swinunetr' ? 'SwinUNETR' : `${n.encoder.length}-level`);

/** Meaning checks the types cannot express. */
export function validateConfig(c: RunConfig): string[] {
  const p: string[] = [];
  const pr = c.preset;
  if (!Array.isArray(pr.patch) || pr.patch.length !== 3 || pr.patch.some((x) => !Number.isInteger(x) || x < 1)) p.push(`preset.patch must be three positive integers, got ${JSON.stringify(pr.patch)}`);
  else
    for (const net of ['generator', 'classifier', 'segmentor'] as const) {
      const m = spatialMultiple(pr[net]);
      if (pr.patch.some((x) => x % m !== 0)) p.push(`preset.patch ${pr.patch.join('×')} must be a multiple of ${m} for the ${describeDepth(pr[net])} ${net}`);
    }
  if (!(pr.spacingMm > 0)) p.push(`preset.spacingMm must be > 0, got ${pr.spacingMm}`);
  if (pr.labelScheme !== 'universal' && pr.labelScheme !== 'specialist') p.push(`preset.labelScheme must be universal or specialist, got ${JSON.stringify(pr.labelScheme)}`);
  else if (pr.segmentor.outChannels !== NUM_CLASSES[pr.labelScheme]) p.push(`preset.segmentor.outChannels must be ${NUM_CLASSES[pr.labelScheme]} for the ${pr.labelScheme} label scheme, got ${pr.segmentor.outChannels}`);
  if (pr.segmentor.kind === 'unet3d' && pr.segmentor.norm === 'batch') p.push("preset.segmentor.norm must not be 'batch': with batch statistics S's prediction (and P) depends on the other samples in its batch; use 'instance'");
  if (pr.labelScheme === 'specialist' && !c.run.organ) p.push('a specialist model needs run.organ (liver, pancreas or kidney; flag --organ)');
  if (!['threshold', 'adaptive', 'none'].includes(pr.quality.mode)) p.push(`preset.quality.mode must be threshold, adaptive or none, got ${JSON.stringify(pr.quality.mode)}`);
  if (!(pr.quality.threshold >= 0 && pr.quality.threshold <= 1)) p.push(`preset.quality.threshold must be in [0, 1], got ${pr.quality.threshold}`);
  if (!['webgpu', 'cpu', 'auto'].includes(c.run.backend)) p.push(`run.backend must be webgpu, cpu or auto, got ${JSON.stringify(c.run.backend)}`);
  for (const k of ['batch', 'checkpointEvery', 'workers', 'prefetch', 'offlineRetries', 'stage2Steps'] as const)
    if (!Number.isInteger(c.run[k]) || c.run[k] < 1) p.push(`run.${k} must be an integer ≥ 1, got ${c.run[k]}`);
  if (!Number.isInteger(c.run.seed)) p.push(`run.seed must be an integer, got ${c.run.seed}`);
  const units = ['epochs', 'steps'];
  for (const k of ['stage1', 'stage3'] as const) {
    const st = pr[k];
    if (!Number.isInteger(st.totalSteps) || st.totalSteps < 1) p.push(`preset.${k}.totalSteps must be an integer ≥ 1, got ${st.totalSteps}`);
    if (!(st.epochs > 0)) p.push(`preset.${k}.epochs must be > 0, got ${st.epochs}`);
    if (!units.includes(st.lengthUnit)) p.push(`preset.${k}.lengthUnit must be epochs or steps, got ${JSON.stringify(st.lengthUnit)}`);
    if (!units.includes(st.warmupUnit)) p.push(`preset.${k}.warmupUnit must be epochs or steps, got ${JSON.stringify(st.warmupUnit)}`);
    if (!(st.warmupEpochs >= 0)) p.push(`preset.${k}.warmupEpochs must be ≥ 0, got ${st.warmupEpochs}`);
    if (!Number.isInteger(st.warmupSteps) || st.warmupSteps < 0) p.push(`preset.${k}.warmupSteps must be an integer ≥ 0, got ${st.warmupSteps}`);
  }
  if (!(c.evaluation.nsdToleranceMm >= 0)) p.push(`evaluation.nsdToleranceMm must be ≥ 0, got ${c.evaluation.nsdToleranceMm}`);
  if (!units.includes(c.run.stage2Unit)) p.push(`run.stage2Unit must be epochs or steps, got ${JSON.stringify(c.run.stage2Unit)}`);
  if (!(c.run.stage2Epochs > 0)) p.push(`run.stage2Epochs must be > 0, got ${c.run.stage2Epochs}`);
  for (const [name, sm] of [['sampling', c.sampling], ['synthesisSampling', c.synthesisSampling]] as const) {
    for (const k of ['labeledOversample', 'syntheticOversample', 'cropsPerVisit'] as const) {
      const min = k === 'cropsPerVisit' ? 1 : 0;
      if (!Number.isInteger(sm[k]) || sm[k] < min) p.push(`${name}.${k} must be an integer ≥ ${min}, got ${sm[k]}`);
    }
    for (const [src, v] of Object.entries(sm.sourceOversample))
      if (!Number.isInteger(v) || v < 0) p.push(`${name}.sourceOversample.${src} must be an integer ≥ 0, got ${JSON.stringify(v)}`);
  }
  const organs = ['liver', 'pancreas', 'kidney'];
  if (c.run.organ !== null && !organs.includes(c.run.organ)) p.push(`run.organ must be one of ${organs.join(', ')}, got ${JSON.stringify(c.run.organ)}`);
  if (!c.run.organs.length || c.run.organs.some((o) => !organs.includes(o))) p.push(`run.organs must list organs among ${organs.join(', ')}, got ${JSON.stringify(c.run.organs)}`);
  if (c.position.sizeClass !== null && !['tiny', 'small', 'medium', 'large'].includes(c.position.sizeClass)) p.push(`position.sizeClass must be tiny, small, medium, large or null, got ${JSON.stringify(c.position.sizeClass)}`);
  return p;
}

/** A `--set a.b.c=value` override as an object (value parsed as JSON, else taken as a string). */
export function parseSet(item: string): Record<string, unknown> {
  const eq = item.indexOf('=');
  if (eq <= 0) throw new CliError(`--set wants key.path=value, got '${item}'`);
  const keys = item.slice(0, eq).split('.');
  const raw = item.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  const root: Record<string, unknown> = {};
  let cur = root;
  keys.forEach((k, n) => {
    if (!k) throw new CliError(`--set: empty key in '${item}'`);
    if (n === keys.length - 1) cur[k] = value;
    else cur = (cur[k] = {}) as Record<string, unknown>;
  });
  return root;
}

export interface ConfigSources {
  /** `--preset`; else the file's preset.name when it names a preset; else `defaultPresetName`; else paper. */
  presetName?: string;
  /** A model card's preset: below --preset and the file's preset.name. */
  defaultPresetName?: string;
  /** `--config` file. */
  file?: string;
  /** The file's content when the caller has read it already (readConfigFile). */
  fileValue?: unknown;
  /** Applied after the preset and before the file (model cards: cardConfig.ts). */
  base?: { what: string; value: Record<string, unknown> }[];
  /** Overrides applied after the file, in order (from flags). */
  overrides?: { what: string; value: Record<string, unknown> }[];
}

/** A `--config` file's JSON, without the `command` a run's config.json records. */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`${file}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  // A run's config.json records the command that wrote it; it is provenance, not configuration.
  if (kind(value) === 'object') delete (value as Record<string, unknown>).command;
  return value;
}

/**
 * A source that names another `preset.segmentor.kind` replaces S with that kind's default first
 * (withSegmentorKind), so its other fields merge into a complete config of the new kind instead
 * of being refused as unknown keys of the old one.
 */
function switchSegmentorKind(config: RunConfig, value: unknown, what: string): void {
  const kindOf = (v: unknown) => (kind(v) === 'object' ? (v as { preset?: { segmentor?: { kind?: unknown } } }).preset?.segmentor?.kind : undefined);
  if (kind((value as { preset?: unknown })?.preset) !== 'object') return;
  const k = kindOf(value);
  if (k === undefined || k === config.preset.segmentor.kind) return;
  try {
    withSegmentorKind(config.preset, k);
  } catch (e) {
    throw new CliError(`${what}: ${(e as Error).message}`);
  }
}

/** Build the effective config; every problem is reported at once, naming its source. */
export async function loadConfig(src: ConfigSources): Promise<RunConfig> {
  const fileValue = src.file ? (src.fileValue !== undefined ? src.fileValue : await readConfigFile(src.file)) : undefined;
  const fromFile = (fileValue as { preset?: { name?: unknown } } | undefined)?.preset?.name;
  const name = src.presetName ?? (typeof fromFile === 'string' && fromFile in PRESETS ? fromFile : (src.defaultPresetName ?? 'paper'));
  if (!(name in PRESETS)) throw new CliError(`unknown --preset '${name}' (known: ${Object.keys(PRESETS).join(', ')})`);
  const config = defaultConfig(name as PresetName);
  for (const o of src.base ?? []) {
    const problems: string[] = [];
    switchSegmentorKind(config, o.value, o.what);
    mergeChecked(config as unknown as Record<string, unknown>, o.value, '', problems);
    if (problems.length) throw new CliError(`${o.what}: ${problems.join('; ')}`);
  }
  if (fileValue !== undefined) {
    const problems: string[] = [];
    switchSegmentorKind(config, fileValue, src.file!);
    mergeChecked(config as unknown as Record<string, unknown>, fileValue, '', problems);
    if (problems.length) throw new CliError(`${src.file}: bad config (${problems.length} problem${problems.length > 1 ? 's' : ''})\n  - ${problems.join('\n  - ')}`);
  }
  for (const o of src.overrides ?? []) {
    const problems: string[] = [];
    switchSegmentorKind(config, o.value, o.what);
    mergeChecked(config as unknown as Record<string, unknown>, o.value, '', problems);
    if (problems.length) throw new CliError(`${o.what}: ${problems.join('; ')}`);
  }
  const problems = validateConfig(config);
  if (problems.length) throw new CliError(`${src.file ? `${src.file} (with flags)` : 'configuration'}: ${problems.join('; ')}`);
  return config;
}

/** The preprocessing the cache runs, from the preset's spacing and patch. */
export function preprocessOf(c: RunConfig): PreprocessConfig {
  const s = c.preset.spacingMm;
  return { spacing: [s, s, s], patch: [c.preset.patch[2], c.preset.patch[1], c.preset.patch[0]], ...c.preprocess };
}

/** The patch as the loader wants it: [x, y, z] (the preset's is [z, y, x]). */
export function patchXYZ(c: RunConfig): [number, number, number] {
  return [c.preset.patch[2], c.preset.patch[1], c.preset.patch[0]];
}
