/** Checkpoint → lab model: role / scheme / architecture checks and the geometry the model works at. */
import { ORGANS } from '../../core/labels.ts';
import type { SwinUNETRConfig } from '../../models/swinUnetr/config.ts';
import { PRESETS, type LabelScheme, type NetworkConfig } from '../../models/config.ts';
import { assertSameArchitecture, type LoadedCheckpoint } from '../../models/checkpoint.ts';
import { countNetworkParams } from '../../models/networks.ts';
import type { Vec3 } from '../../core/volume.ts';
import type { ModelInfo, ModelSlot } from './messages.ts';


/** A SwinUNETR segmentor in words (a U-Net shows its encoder widths instead). */
export function swinArchitecture(c: SwinUNETRConfig): string {
  return `SwinUNETR fs${c.featureSize}${c.useV2 ? ' v2' : ''} (MONAI 1.3), ${c.outChannels} classes`;
}

const KNOWN_SCHEMES: LabelScheme[] = ['universal', 'specialist'];

function isVec3(v: unknown): v is Vec3 {
  return Array.isArray(v) && v.length === 3 && v.every((n) => Number.isInteger(n) && n > 0);
}

/** Patch [x,y,z] and spacing (mm): the card's provenance if it says, else the named preset's. */
export function modelGeometry(card: LoadedCheckpoint['manifest']['card']): { patch: Vec3; spacingMm: number } {
  const p = card.provenance ?? {};
  const preset = (PRESETS as Record<string, (typeof PRESETS)['tiny'] | undefined>)[card.preset];
  const patch = isVec3(p.patch) ? (p.patch as Vec3) : typeof p.patch === 'number' && p.patch > 0 ? ([p.patch, p.patch, p.patch] as Vec3) : preset ? ([...preset.patch] as Vec3) : null;
  const spacing = typeof p.spacingMm === 'number' && p.spacingMm > 0 ? p.spacingMm : preset?.spacingMm ?? null;
  if (!patch || spacing === null) {
    throw new Error(`the model card names preset "${card.preset}" and gives no patch / spacingMm in its provenance: the lab cannot tell which crop the model expects`);
  }
  return { patch, spacingMm: spacing };
}

export interface Selected {
  slot: ModelSlot;
  networkName: string;
  info: ModelInfo;
  config: NetworkConfig;
}

/** What a slot already holds. */
export interface LoadedSlot {
  config: NetworkConfig;
  labelScheme: string | null;
  patch: Vec3;
  spacingMm: number;
}

/**
 * The networks of a checkpoint the lab can use, by slot. `slot` 'auto' takes every generator and
 * segmentor; a named slot needs a network of that role (else a clear refusal). `loaded` holds the
 * configs already in the slots: a new model must have the same architecture (unload first to change).
 * G and S may work at different patch sizes and spacings: S scores on its own grid (labCompute).
 */
export function selectNetworks(
  ck: LoadedCheckpoint,
  fileName: string,
  slot: ModelSlot | 'auto',
  loaded: Partial<Record<ModelSlot, LoadedSlot>>,
): Selected[] {
  const entries = Object.entries(ck.manifest.networks);
  const roles = entries.map(([n, e]) => `${n} (${e.role})`).join(', ') || 'none';
  const want: ModelSlot[] = slot === 'auto' ? ['generator', 'segmentor'] : [slot];
  const out: Selected[] = [];
  const geometry = modelGeometry(ck.manifest.card);
  for (const s of want) {
    const hit = entries.find(([, e]) => e.role === s);
    if (!hit) continue;
    const [networkName, entry] = hit;
    if (s === 'segmentor') {
      const scheme = entry.labelScheme ?? 'universal';
      if (!KNOWN_SCHEMES.includes(scheme)) throw new Error(`${fileName}: segmentor label scheme "${scheme}" is not one the lab knows (universal 7 classes, specialist 3)`);
      const prev = loaded.segmentor;
      if (prev && prev.labelScheme !== scheme) {
        throw new Error(`${fileName}: segmentor uses the ${scheme} label scheme but the loaded one uses ${prev.labelScheme}; unload it first to switch schemes`);
      }
    }
    const prev = loaded[s];
    if (prev) assertSameArchitecture(entry.config, prev.config, `${fileName}: ${s} "${networkName}"`);
    const card = ck.manifest.card;
    out.push({
      slot: s,
      networkName,
      config: entry.config,
      info: {
        slot: s,
        fileName,
        networkName,
        role: entry.role,
        labelScheme: s === 'segmentor' ? (entry.labelScheme ?? 'universal') : null,
        organ: s === 'segmentor' && entry.labelScheme === 'specialist' && card.organ && ORGANS.includes(card.organ) ? card.organ : null,
        preset: card.preset,
        description: card.description ?? null,
        provenance: card.provenance ?? {},
        encoder: entry.config.kind === 'unet3d' ? entry.config.encoder.map((l) => [...l]) : [],
        outChannels: entry.config.outChannels,
        params: countNetworkParams(entry.config),
        ...(entry.config.kind === 'swinunetr' ? { architecture: swinArchitecture(entry.config) } : {}),
        patch: geometry.patch,
        spacingMm: geometry.spacingMm,
        step: ck.manifest.step,
        createdAt: ck.manifest.createdAt,
      },
    });
  }
  if (!out.length) {
    const need = slot === 'auto' ? 'a generator or a segmentor' : `a ${slot}`;
    throw new Error(`${fileName}: the lab needs ${need}; this checkpoint holds ${roles}`);
  }
  return out;
}
