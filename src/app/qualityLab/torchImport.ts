/**
 * PyTorch weights (a safetensors state dict of tools/torch_unet.py's U-Net) as a lab checkpoint.
 * A state dict says nothing of architecture, role or label scheme, so it is accepted only where a
 * model card says so:
 *   - the file's own `__metadata__.freetumor_card` (JSON {role, labelScheme?, config, card}), or
 *   - the card of the model already in the slot the file is loaded into (same architecture: the
 *     weights are replaced, the card kept).
 * Names and kernel layouts go through src/models/torchNames.ts; every parameter must be present
 * with the right shape.
 */
import { CHECKPOINT_FORMAT, type LoadedCheckpoint, type ModelCard } from '../../models/checkpoint.ts';
import type { LabelScheme, ModelRole, UNetConfig } from '../../models/config.ts';
import { readSafetensors } from '../../models/safetensors.ts';
import { fromTorchTensor, toTorchName } from '../../models/torchNames.ts';
import { unetParamShapes } from '../../models/unet.ts';

export interface TorchCard {
  role: ModelRole;
  labelScheme?: LabelScheme;
  config: UNetConfig;
  card: ModelCard;
}

export const TORCH_CARD_KEY = 'freetumor_card';

export function isFreeTumorCheckpoint(bytes: Uint8Array): boolean {
  try {
    return typeof readSafetensors(bytes).metadata.freetumor === 'string';
  } catch {
    return false;
  }
}

export function torchToCheckpoint(bytes: Uint8Array, fileName: string, slotCard: TorchCard | null): LoadedCheckpoint {
  const f = readSafetensors(bytes);
  const own = f.metadata[TORCH_CARD_KEY];
  let card: TorchCard;
  if (own) {
    try {
      card = JSON.parse(own) as TorchCard;
    } catch {
      throw new Error(`${fileName}: its ${TORCH_CARD_KEY} metadata is not JSON`);
    }
    if (!card?.config || !card.role || !card.card) throw new Error(`${fileName}: its ${TORCH_CARD_KEY} metadata lacks role, config or card`);
  } else if (slotCard) {
    card = slotCard;
  } else {
    throw new Error(
      `${fileName}: not a FreeTumor checkpoint and no model card says what these PyTorch weights are; load a FreeTumor checkpoint of the same architecture into the slot first, or add a "${TORCH_CARD_KEY}" entry to the file's metadata`,
    );
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const missing: string[] = [];
  for (const [name, shape] of unetParamShapes(card.config)) {
    const t = f.tensors.get(toTorchName(name));
    if (!t) {
      missing.push(toTorchName(name));
      continue;
    }
    if (!(t.data instanceof Float32Array)) throw new Error(`${fileName}: tensor "${toTorchName(name)}" is ${t.dtype}; float32 expected`);
    const ours = fromTorchTensor(name, t.data, t.shape);
    if (ours.shape.join(',') !== shape.join(',')) {
      throw new Error(`${fileName}: "${toTorchName(name)}" has shape [${t.shape}] (ours [${ours.shape}]), the card's architecture needs [${shape}]`);
    }
    tensors.set(`net.${name}`, ours);
  }
  if (missing.length) throw new Error(`${fileName}: the PyTorch weights lack ${missing.length} parameter(s) of the card's architecture, e.g. ${missing.slice(0, 3).join(', ')}`);
  return {
    manifest: {
      format: CHECKPOINT_FORMAT,
      version: 1,
      step: 0,
      networks: { net: { role: card.role, labelScheme: card.labelScheme, config: card.config } },
      optimizers: {},
      card: { ...card.card, provenance: { ...card.card.provenance, importedFrom: `PyTorch safetensors ${fileName}` } },
      createdAt: '',
      tfjsVersion: '',
    },
    tensors,
  };
}
