/**
 * A checkpoint's model card as configuration. The card records what the weights are: the preset
 * they were built from, the crop they were trained on (patch, spacing), a segmentor's label scheme
 * and organ, and each network's architecture. Every command that loads a checkpoint takes these
 * from its card, so `evaluate --checkpoint CKPT` or `synthesize --generator G --segmentor S` need
 * no flags to match the models.
 *
 * A flag (or --config) may repeat a card value. One that contradicts it would run the model on
 * crops, spacings or classes it was not trained for without a word, so that is an error naming
 * both values — unless --override-card says the user means it (say, a SwinUNETR trained at 96³
 * evaluated at 64³ to fit memory); each override is then printed. Two cards that disagree (a
 * generator and a segmentor trained at different spacings) are an error as well, resolved only by
 * giving the value explicitly with --override-card.
 */
import { ARCH_KEYS, type LoadedCheckpoint } from '../../models/checkpoint.ts';
import { NUM_CLASSES, PRESETS, type ModelRole } from '../../models/index.ts';
import { CliError } from '../cliTypes.ts';

export interface CardSource {
  file: string;
  /** The card's preset when it is a known one: the default below --preset and the file's. */
  presetName?: string;
  /** Config values, merged after the preset and before --config and the flags. */
  value: Record<string, unknown>;
  /** Dotted config paths a user source may repeat but not contradict, with the card's value. */
  pins: Map<string, unknown>;
}

/** A source of configuration the user gave: `--config FILE`, `--patch 32`, `--set …`. */
export interface UserSource {
  what: string;
  value: unknown;
}

export const CARD_FLAGS = { 'override-card': { type: 'boolean' } } as const;

export const CARD_HELP = `model card:
  Each checkpoint's model card supplies the preset, patch, spacing, label scheme, organ and the
  architecture of the network loaded from it; no flag has to repeat them. A flag or --config that
  repeats a card value is accepted; one that contradicts it (or two cards that disagree) is an
  error naming both values.
  --override-card          run with the flags' / --config's values where they contradict a card
                           (each override is printed), e.g. --patch 64 --override-card to run a
                           model trained on 96³ crops with 64³ windows; the architecture must
                           still match the weights`;

const SECTION: Record<ModelRole, 'generator' | 'classifier' | 'segmentor'> = { generator: 'generator', classifier: 'classifier', segmentor: 'segmentor' };

/**
 * What the card of checkpoint `c` pins for a run that loads its network `name`. `architecture:
 * false` for a frozen network that is not the one the run configures (train-segmentation's filter
 * S beside the S it trains): its architecture stays its own, its classes still set the run's.
 */
export function cardDefaults(c: { file: string; ck: LoadedCheckpoint }, name: string, opts: { architecture?: boolean } = {}): CardSource {
  const { card, networks } = c.ck.manifest;
  const entry = networks[name];
  const preset: Record<string, unknown> = {};
  const run: Record<string, unknown> = {};
  const pins = new Map<string, unknown>();
  const p = card.provenance ?? {};
  const presetName = typeof card.preset === 'string' && card.preset in PRESETS ? card.preset : undefined;
  if (presetName) pins.set('preset.name', presetName);
  // Cards store the patch in x, y, z voxel order (cropGeometry); the preset holds z, y, x.
  if (Array.isArray(p.patch) && p.patch.length === 3 && p.patch.every((v) => Number.isInteger(v) && v > 0)) {
    preset.patch = [p.patch[2], p.patch[1], p.patch[0]];
    pins.set('preset.patch', preset.patch);
  }
  if (typeof p.spacingMm === 'number' && p.spacingMm > 0) {
    preset.spacingMm = p.spacingMm;
    pins.set('preset.spacingMm', p.spacingMm);
  }
  const scheme = card.labelScheme ?? (entry?.role === 'segmentor' ? entry.labelScheme : undefined);
  if (scheme) {
    preset.labelScheme = scheme;
    pins.set('preset.labelScheme', scheme);
  }
  if (card.organ) {
    run.organ = card.organ;
    pins.set('run.organ', card.organ);
  }
  if (entry && opts.architecture !== false) {
    const section = SECTION[entry.role];
    preset[section] = structuredClone(entry.config);
    for (const k of ARCH_KEYS[entry.config.kind] ?? ['kind']) pins.set(`preset.${section}.${k}`, (entry.config as unknown as Record<string, unknown>)[k]);
  } else if (scheme) {
    // The run's own S gets the card's classes; its architecture is the run's choice.
    preset.segmentor = { outChannels: NUM_CLASSES[scheme] };
  }
  return { file: c.file, presetName, value: { preset, ...(Object.keys(run).length ? { run } : {}) }, pins };
}

const LABELS: Record<string, string> = {
  'preset.name': 'preset',
  'preset.patch': 'patch',
  'preset.spacingMm': 'spacing (mm)',
  'preset.labelScheme': 'label scheme',
  'run.organ': 'organ',
};

function label(path: string): string {
  const net = /^preset\.(generator|classifier|segmentor)\.(.+)$/.exec(path);
  return LABELS[path] ?? (net ? `${net[1]} architecture ${net[2]}` : path);
}

function show(path: string, v: unknown): string {
  if (path === 'preset.patch' && Array.isArray(v)) return v.join('×');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function at(value: unknown, path: string): unknown {
  let cur = value;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !(k in (cur as object))) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Check the user's sources against the cards. Throws a CliError listing every contradiction
 * (without `override`) and every disagreement between cards no user source settles; returns the
 * overrides `override` lets through, one line each, for the run to print.
 */
export function checkCards(cards: CardSource[], users: UserSource[], override: boolean): string[] {
  const errors: string[] = [];
  const notes: string[] = [];
  let contradictions = 0;
  const pinned = new Map<string, { value: unknown; file: string }>();
  const disagreements = new Map<string, string>();
  for (const c of cards) {
    for (const [path, value] of c.pins) {
      const prev = pinned.get(path);
      if (!prev) pinned.set(path, { value, file: c.file });
      else if (!same(prev.value, value) && !disagreements.has(path))
        disagreements.set(path, `the model cards disagree on the ${label(path)}: ${show(path, prev.value)} in ${prev.file}, ${show(path, value)} in ${c.file}`);
    }
  }
  for (const [path, text] of disagreements) {
    // The last source that sets the value is the one the config ends with.
    const settled = users.findLast((u) => at(u.value, path) !== undefined);
    if (override && settled) notes.push(`${text}; ${settled.what} sets ${show(path, at(settled.value, path))} (--override-card)`);
    else errors.push(`${text}; give the value (its flag or --config) with --override-card to choose`);
  }
  for (const u of users) {
    for (const c of cards) {
      const diffs: string[] = [];
      for (const [path, value] of c.pins) {
        const mine = at(u.value, path);
        if (mine === undefined || same(mine, value) || disagreements.has(path)) continue;
        diffs.push(`${label(path)} ${show(path, mine)} here, ${show(path, value)} on the card`);
      }
      if (!diffs.length) continue;
      if (override) notes.push(`${u.what} overrides the model card of ${c.file}: ${diffs.join('; ')}`);
      else {
        contradictions++;
        errors.push(`${u.what} contradicts the model card of ${c.file}: ${diffs.join('; ')}`);
      }
    }
  }
  if (errors.length) {
    const hint = contradictions ? '\nA flag or --config may repeat a model card but not contradict it: drop it, or add --override-card to run with its value.' : '';
    throw new CliError((errors.length > 1 ? `${errors.length} conflicts with the model card${cards.length > 1 ? 's' : ''}:\n  - ${errors.join('\n  - ')}` : errors[0]) + hint);
  }
  return notes;
}
