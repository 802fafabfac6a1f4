import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { unetConfig } from '../../models/config.ts';
import { createGenerator, type Network } from '../../models/networks.ts';
import { restoreNetwork, saveCheckpoint } from '../../models/checkpoint.ts';
import { writeSafetensors } from '../../models/safetensors.ts';
import { toTorchName, toTorchTensor } from '../../models/torchNames.ts';
import { isFreeTumorCheckpoint, torchToCheckpoint, TORCH_CARD_KEY, type TorchCard } from './torchImport.ts';

const cfg = unetConfig(1, 3, [[2, 2], [2, 4]], { seed: 5 });
const card: TorchCard = { role: 'generator', config: cfg, card: { preset: 'tiny', provenance: { patch: [8, 8, 8], spacingMm: 3 } } };

async function torchFile(net: Network, metadata: Record<string, string> = {}, drop?: string): Promise<Uint8Array> {
  const m = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of net.params) {
    if (toTorchName(name) === drop) continue;
    m.set(toTorchName(name), toTorchTensor(name, (await v.data()) as Float32Array, v.shape));
  }
  return writeSafetensors(m, metadata);
}

describe('PyTorch safetensors import', () => {
  it('rebuilds the same network from a state dict with a card in its metadata or from the slot card', async () => {
    await tf.setBackend('cpu');
    const G = createGenerator(cfg);
    const x = tf.randomUniform([1, 8, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
    const want = await G.apply(x).data();
    for (const [bytes, slotCard] of [
      [await torchFile(G, { [TORCH_CARD_KEY]: JSON.stringify(card) }), null],
      [await torchFile(G), card],
    ] as const) {
      expect(isFreeTumorCheckpoint(bytes)).toBe(false);
      const ck = torchToCheckpoint(bytes, 'g.safetensors', slotCard);
      expect(ck.manifest.card.provenance.importedFrom).toBe('PyTorch safetensors g.safetensors');
      const net = restoreNetwork(ck, 'net', { role: 'generator', config: cfg });
      const got = await net.apply(x).data();
      expect(Array.from(got)).toEqual(Array.from(want));
      net.dispose();
    }
    expect(isFreeTumorCheckpoint(await saveCheckpoint({ networks: { G }, step: 0, card: card.card }))).toBe(true);
    G.dispose();
  });

  it('refuses weights no card describes, missing parameters and wrong shapes', async () => {
    const G = createGenerator(cfg);
    expect(() => torchToCheckpoint(new Uint8Array(0), 'x', null)).toThrow(/not a safetensors file/);
    expect(() => torchToCheckpoint(writeSafetensors(new Map()), 'w.safetensors', null)).toThrow(/no model card says what these PyTorch weights are/);
    expect(() => torchToCheckpoint(writeSafetensors(new Map()), 'w.safetensors', card)).toThrow(/lack \d+ parameter/);
    const partial = await torchFile(G, {}, 'head.bias');
    expect(() => torchToCheckpoint(partial, 'p.safetensors', card)).toThrow(/head\.bias/);
    const wider = { ...card, config: unetConfig(1, 3, [[4, 4], [4, 8]]) };
    const full = await torchFile(G);
    expect(() => torchToCheckpoint(full, 'g.safetensors', wider)).toThrow(/has shape/);
    G.dispose();
  });
});
