/**
 * The FreeTumor authors' PyTorch checkpoints as FreeTumor Workbench checkpoints — the same code in
 * the browser (a Web Worker) and the CLI (`freetumor import-checkpoint`). No node: imports.
 *
 *   const r = await importTorchCheckpoint(bytes, 'TGAN.pt', { organ: 'liver' });
 *   for (const m of r.models) {            // m.role: 'generator' (G + C) or 'segmentor' (S)
 *     const S = restoreNetwork(m.checkpoint, 'S');   // or write it: writeLoadedCheckpoint(m.checkpoint)
 *   }
 *
 * What a file becomes (decided from its keys and shapes, never from its name):
 *   - TGAN.pt (`netG.*`, `netD.*`, `netSeg.*`): a G + C checkpoint (netG → generator "G", netD →
 *     classifier "C": the official discriminator is FreeTumor's per-voxel classifier) and an S
 *     checkpoint (netSeg). Every part must be complete; a partial file is refused, naming the
 *     missing keys.
 *   - a segmentor (`swinViT.*`, MONAI SwinUNETR): one S checkpoint.
 * Classes → label scheme: 7 → universal; 3 → specialist, which needs `organ` (the file does not
 * say which organ). The card: preset "paper", patch 96³ (the official ROI; `roi` when trained at
 * another) at 1.5 mm, the architecture, and provenance (file name, SHA-256, epoch, best_acc).
 * Every refusal is an Error whose message starts with the file name.
 */
import * as tf from '@tensorflow/tfjs';
import { ORGANS, type Organ } from '../core/labels.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpointFormat.ts';
import type { LoadedCheckpoint, ModelCard } from './checkpoint.ts';
import { describeArchitecture, NUM_CLASSES, PRESETS, type LabelScheme, type ModelRole, type NetworkConfig } from './config.ts';
import { officialConfigOf, unetWeightsFromOfficial, type OfficialTensorLike } from './official/unet3dNames.ts';
import { swinUnetrConfig, type SwinUNETRConfig } from './swinUnetr/config.ts';
import { swinUnetrStateDict } from './swinUnetr/params.ts';
import { inferSwinUnetrConfig, swinUnetrWeightsFromTorch, type TorchEntry } from './swinUnetr/torchWeights.ts';
import { findStateDict, readTorchCheckpoint, splitTgan, toFloat32, type TorchTensor } from './torch/index.ts';

export interface ImportOptions {
  /** A 3-class (specialist) segmentor's organ; required for one, refused for a 7-class one. */
  organ?: Organ;
  /**
   * The crop edge the model was trained at (the official scripts' --roi_x/y/z; default 96), a
   * multiple of 32. Recorded as the card's patch: the crops the lab, synthesize and evaluate cut.
   */
  roi?: number;
}

export interface ImportedModel {
  /** 'generator': networks G and C; 'segmentor': network S. */
  role: Extract<ModelRole, 'generator' | 'segmentor'>;
  checkpoint: LoadedCheckpoint;
}

export interface ImportResult {
  layout: 'tgan' | 'segmentor';
  source: { fileName: string; sha256: string; epoch?: number; bestAcc?: number };
  models: ImportedModel[];
}

/** The official crop: roi 96³ (Syn_train.py / Free_train.py) at 1.5 mm. */
const OFFICIAL_ROI = 96;
const OFFICIAL_SPACING_MM = 1.5;
const MAX_LISTED = 8;

class ImportError extends Error {
  constructor(fileName: string, problem: string) {
    super(`${fileName}: ${problem}`);
    this.name = 'ImportError';
  }
}

export async function importTorchCheckpoint(bytes: Uint8Array, fileName: string, opts: ImportOptions = {}): Promise<ImportResult> {
  if (opts.organ !== undefined && !ORGANS.includes(opts.organ)) {
    throw new ImportError(fileName, `organ ${JSON.stringify(opts.organ)} is not one of ${ORGANS.join(', ')}`);
  }
  const roi = opts.roi ?? OFFICIAL_ROI;
  if (!Number.isInteger(roi) || roi <= 0 || roi % 32 !== 0) throw new ImportError(fileName, `roi ${roi} must be a positive multiple of 32 (SwinUNETR: patch 2, four 2× merges)`);
  const geometry = { patch: [roi, roi, roi], spacingMm: OFFICIAL_SPACING_MM };
  const { object } = readTorchCheckpoint(bytes, fileName);
  const { stateDict, meta } = findStateDict(object, fileName);
  const source = { fileName, sha256: await sha256Hex(bytes), ...(meta.epoch !== undefined ? { epoch: meta.epoch } : {}), ...(meta.bestAcc !== undefined ? { bestAcc: meta.bestAcc } : {}) };
  const keys = [...stateDict.keys()];
  if (!keys.length) throw new ImportError(fileName, 'the state_dict is empty');
  const provenance = { importedFrom: { ...source, container: meta.container }, source: 'official FreeTumor (github.com/Luffy03/FreeTumor)', ...geometry };

  if (keys.some((k) => /^net(G|D|Seg)\./.test(k))) {
    const parts = splitTgan(stateDict, fileName);
    const problems = [
      ...unetProblems(parts.netG, 'netG', fileName),
      ...unetProblems(parts.netD, 'netD', fileName),
      ...swinProblems(parts.netSeg, 'netSeg'),
    ];
    if (problems.length) {
      throw new ImportError(fileName, `incomplete TGAN checkpoint (${keys.length} keys): ${listed(problems)}`);
    }
    // S first: a missing --organ is refused before the larger G and C are converted.
    const s = await segmentorCheckpoint(parts.netSeg, fileName, opts, provenance, 'netSeg of TGAN.pt (the segmentor used as quality control)');
    const gc = await generatorCheckpoint(parts.netG, parts.netD, fileName, provenance);
    return { layout: 'tgan', source, models: [gc, s] };
  }
  if (stateDict.has('swinViT.patch_embed.proj.weight') || keys.some((k) => k.startsWith('swinViT.'))) {
    const problems = swinProblems(stateDict, 'state_dict');
    if (problems.length) throw new ImportError(fileName, `incomplete SwinUNETR segmentor: ${listed(problems)}`);
    return { layout: 'segmentor', source, models: [await segmentorCheckpoint(stateDict, fileName, opts, provenance, 'FreeTumor segmentor')] };
  }
  if (stateDict.has('down_tr64.ops.0.conv1.weight')) {
    throw new ImportError(
      fileName,
      'a lone UNet3D state_dict: nothing tells whether it is the generator or the discriminator; import the TGAN.pt that holds both (netG.*, netD.*)',
    );
  }
  throw new ImportError(fileName, `neither a FreeTumor TGAN (netG.*, netD.*, netSeg.*) nor a SwinUNETR segmentor (swinViT.*): keys start ${keys.slice(0, 3).map((k) => `"${k}"`).join(', ')}`);
}

/** An imported (or any loaded) checkpoint as safetensors bytes, the format saveCheckpoint writes. */
export { writeLoadedCheckpoint } from './checkpoint.ts';

const listed = (problems: string[]) => problems.join('; ');

function unetProblems(sd: Map<string, TorchTensor>, part: string, fileName: string): string[] {
  try {
    officialConfigOf(sd, fileName);
    return [];
  } catch (e) {
    // matchOfficialKeys lists every missing / unknown / mis-shaped key after "<file>: ".
    return [`${part}: ${(e as Error).message.slice(fileName.length + 2)}`];
  }
}

/**
 * Missing and unknown keys of a SwinUNETR state dict. The expected set comes from the config the
 * keys describe; when too little is there to infer one, from MONAI's defaults at the feature size
 * and class count the first and last convs give (as a partial TGAN.pt has them).
 */
function swinProblems(sd: Map<string, TorchTensor>, part: string): string[] {
  const pe = sd.get('swinViT.patch_embed.proj.weight');
  const out = sd.get('out.conv.conv.weight');
  const problems: string[] = [];
  if (!pe) problems.push(`${part}: missing "swinViT.patch_embed.proj.weight"`);
  if (!out) problems.push(`${part}: missing "out.conv.conv.weight"`);
  if (!pe || !out) return problems;
  let cfg: SwinUNETRConfig;
  try {
    cfg = inferSwinUnetrConfig([...sd].map(([key, t]) => ({ key, shape: t.shape })));
  } catch {
    cfg = swinUnetrConfig({ featureSize: pe.shape[0], inChannels: pe.shape[1], outChannels: out.shape[0] });
  }
  const expected = swinUnetrStateDict(cfg);
  const known = new Set(expected.map((s) => s.key));
  const missing = expected.filter((s) => s.kind !== 'relativePositionIndex' && !sd.has(s.key)).map((s) => `"${s.key}"`);
  const unknown = [...sd.keys()].filter((k) => !known.has(k)).map((k) => `"${k}"`);
  const some = (l: string[]) => l.slice(0, MAX_LISTED).join(', ') + (l.length > MAX_LISTED ? `, and ${l.length - MAX_LISTED} more` : '');
  if (missing.length) problems.push(`${part}: SwinUNETR (feature size ${cfg.featureSize}) misses ${missing.length} parameter(s): ${some(missing)}`);
  if (unknown.length) problems.push(`${part}: ${unknown.length} key(s) not part of SwinUNETR: ${some(unknown)}`);
  return problems;
}

function floatEntry(t: TorchTensor, key: string): OfficialTensorLike {
  return t.dtype === 'int64' ? { shape: t.shape, data: t.data as BigInt64Array, dtype: t.dtype } : { shape: t.shape, data: toFloat32(t, `"${key}"`), dtype: 'float32' };
}

async function toHost(prefix: string, weights: Map<string, tf.Tensor>, into: LoadedCheckpoint['tensors']): Promise<void> {
  try {
    for (const [k, t] of weights) into.set(`${prefix}.${k}`, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  } finally {
    tf.dispose([...weights.values()]);
  }
}

function manifestOf(networks: LoadedCheckpoint['manifest']['networks'], card: ModelCard): LoadedCheckpoint['manifest'] {
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    // A torch checkpoint counts epochs, not our steps; the epoch is kept in the provenance.
    step: 0,
    networks,
    optimizers: {},
    card,
    createdAt: new Date().toISOString(),
    tfjsVersion: tf.version.tfjs,
  };
}

async function generatorCheckpoint(
  netG: Map<string, TorchTensor>,
  netD: Map<string, TorchTensor>,
  fileName: string,
  provenance: Record<string, unknown>,
): Promise<ImportedModel> {
  const gCfg = officialConfigOf(netG, `${fileName} netG`);
  const dCfg = officialConfigOf(netD, `${fileName} netD`);
  const tensors: LoadedCheckpoint['tensors'] = new Map();
  const conv = (sd: Map<string, TorchTensor>) => [...sd].map(([k, t]) => [k, floatEntry(t, k)] as [string, OfficialTensorLike]);
  await toHost('G', unetWeightsFromOfficial(conv(netG), `${fileName} netG`), tensors);
  await toHost('C', unetWeightsFromOfficial(conv(netD), `${fileName} netD`), tensors);
  const card: ModelCard = {
    preset: 'paper',
    description: `FreeTumor's own generator G (netG) and discriminator, used as the classifier C (netD), imported from ${fileName}.`,
    provenance: { ...provenance, architecture: 'FreeTumor models/Unet.py UNet3D(1, 3) (Models Genesis), ContBatchNorm3d: batch statistics in eval too' },
  };
  const networks = {
    G: { role: 'generator' as const, config: gCfg },
    C: { role: 'classifier' as const, config: dCfg },
  };
  return { role: 'generator', checkpoint: { manifest: manifestOf(networks, card), tensors } };
}

function schemeOf(cfg: NetworkConfig, fileName: string, opts: ImportOptions): { labelScheme: LabelScheme; organ?: Organ } {
  if (cfg.outChannels === NUM_CLASSES.universal) {
    if (opts.organ) {
      throw new ImportError(fileName, `--organ ${opts.organ} was given but the segmentor has ${cfg.outChannels} classes (universal: liver, pancreas, kidney and their tumours); drop --organ`);
    }
    return { labelScheme: 'universal' };
  }
  if (cfg.outChannels === NUM_CLASSES.specialist) {
    if (!opts.organ) {
      throw new ImportError(
        fileName,
        `a 3-class specialist segmentor (background, organ, tumour) and the file does not say which organ; pass --organ ${ORGANS.join('|')}`,
      );
    }
    return { labelScheme: 'specialist', organ: opts.organ };
  }
  throw new ImportError(fileName, `the segmentor has ${cfg.outChannels} output classes; FreeTumor's have 7 (universal) or 3 (specialist)`);
}

async function segmentorCheckpoint(
  sd: Map<string, TorchTensor>,
  fileName: string,
  opts: ImportOptions,
  provenance: Record<string, unknown>,
  what: string,
): Promise<ImportedModel> {
  const entries: TorchEntry[] = [...sd].map(([key, t]) => ({ key, shape: t.shape, data: t.dtype === 'int64' ? (t.data as BigInt64Array) : toFloat32(t, `"${key}"`) }));
  let cfg: SwinUNETRConfig;
  let weights: Map<string, tf.Tensor>;
  try {
    const roi = (provenance.patch as number[])[0];
    cfg = { ...inferSwinUnetrConfig(entries), imgSize: [roi, roi, roi] };
    weights = swinUnetrWeightsFromTorch(entries, cfg);
  } catch (e) {
    throw new ImportError(fileName, (e as Error).message);
  }
  const scheme = schemeOf(cfg, fileName, opts);
  const tensors: LoadedCheckpoint['tensors'] = new Map();
  await toHost('S', weights, tensors);
  const paperS = PRESETS.paper.segmentor;
  const card: ModelCard = {
    preset: 'paper',
    ...scheme,
    description:
      `FreeTumor's own ${scheme.labelScheme} segmentor S (${what}${scheme.organ ? `, ${scheme.organ}` : ''}), imported from ${fileName}.` +
      (paperS.kind === 'swinunetr' && paperS.featureSize !== cfg.featureSize ? ` Feature size ${cfg.featureSize} (the paper's is ${paperS.featureSize}).` : ''),
    provenance: { ...provenance, architecture: `MONAI 1.3.0 SwinUNETR (${describeArchitecture(cfg)})` },
  };
  const networks = { S: { role: 'segmentor' as const, labelScheme: scheme.labelScheme, config: cfg } };
  return { role: 'segmentor', checkpoint: { manifest: manifestOf(networks, card), tensors } };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
