/** findStateDict / splitTgan on synthetic checkpoints shaped like the official loaders expect. */
import { describe, expect, it } from 'vitest';
import { findStateDict, normaliseKey, splitTgan, type TorchTensor } from './index.ts';

const tensor = (v: number): TorchTensor => ({ dtype: 'float32', shape: [1], data: Float32Array.from([v]), savedStrides: [1], storageOffset: 0, storageKey: String(v) });
const dict = (entries: Array<[string, unknown]>): Map<string, unknown> => new Map(entries);

describe('findStateDict', () => {
  it('takes state_dict, then network_weights, then net, then the dict itself, with epoch and best_acc', () => {
    const sd = dict([['a.weight', tensor(1)]]);
    expect(findStateDict(dict([['epoch', 3], ['best_acc', 0.5], ['state_dict', sd], ['net', dict([])]]), 'x.pt').meta).toEqual({ container: 'state_dict', epoch: 3, bestAcc: 0.5 });
    expect(findStateDict(dict([['net', sd], ['network_weights', sd]]), 'x.pt').meta.container).toBe('network_weights');
    expect(findStateDict(dict([['net', sd]]), 'x.pt').meta.container).toBe('net');
    const bare = findStateDict(sd, 'x.pt');
    expect(bare.meta).toEqual({ container: 'bare' });
    expect(bare.stateDict.get('a.weight')).toBe(sd.get('a.weight'));
  });

  it('removes module. and backbone. segments and renames swin_vit, keeping order', () => {
    const sd = dict([
      ['module.swin_vit.patch_embed.proj.weight', tensor(1)],
      ['module.backbone.encoder1.layer.conv1.conv.weight', tensor(2)],
      ['netSeg.module.out.conv.conv.bias', tensor(3)],
      ['submodule.mybackbone.weight', tensor(4)],
    ]);
    const { stateDict } = findStateDict(dict([['state_dict', sd]]), 'ddp.pt');
    expect([...stateDict.keys()]).toEqual(['swinViT.patch_embed.proj.weight', 'encoder1.layer.conv1.conv.weight', 'netSeg.out.conv.conv.bias', 'submodule.mybackbone.weight']);
    expect(stateDict.get('swinViT.patch_embed.proj.weight')?.data[0]).toBe(1);
    expect(normaliseKey('backbone.swin_vit.layers1.0.blocks.0.norm1.weight')).toBe('swinViT.layers1.0.blocks.0.norm1.weight');
  });

  it('refuses what is not a dict of tensors, and keys that collide once normalised', () => {
    expect(() => findStateDict([1, 2], 'list.pt')).toThrow('list.pt: the checkpoint is not a dict, so it holds no state_dict');
    expect(() => findStateDict(dict([['state_dict', 5]]), 'five.pt')).toThrow('five.pt: "state_dict" is not a dict of tensors');
    expect(() => findStateDict(dict([['state_dict', dict([['w', 1.5]])]]), 'num.pt')).toThrow('num.pt: "state_dict" key "w" is not a tensor');
    expect(() => findStateDict(dict([['epoch', 1]]), 'meta.pt')).toThrow('meta.pt: key "epoch" is not a tensor');
    expect(() => findStateDict(dict([['module.w', tensor(1)], ['w', tensor(2)]]), 'dup.pt')).toThrow('dup.pt: keys collide after removing module./backbone. prefixes: "w"');
  });
});

describe('splitTgan', () => {
  it('splits netG / netD / netSeg without their prefixes and refuses other keys', () => {
    const sd = new Map([
      ['netG.out_tr.final_conv.bias', tensor(1)],
      ['netD.out_tr.final_conv.bias', tensor(2)],
      ['netSeg.swinViT.patch_embed.proj.bias', tensor(3)],
    ]);
    const parts = splitTgan(sd);
    expect(parts.netG.get('out_tr.final_conv.bias')?.data[0]).toBe(1);
    expect(parts.netD.get('out_tr.final_conv.bias')?.data[0]).toBe(2);
    expect([...parts.netSeg.keys()]).toEqual(['swinViT.patch_embed.proj.bias']);
    expect(() => splitTgan(new Map([['swinViT.x', tensor(1)]]), 'seg.pt')).toThrow('seg.pt: key "swinViT.x" belongs to none of netG, netD, netSeg (not a TGAN checkpoint?)');
  });
});
