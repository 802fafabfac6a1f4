/**
 * From an unpickled checkpoint to a name → tensor state_dict, as the official FreeTumor loaders do
 * (fixtures README, "how they are loaded"):
 * - container: `state_dict`, else `network_weights`, else `net`, else the dict itself
 *   (utils/utils.py `load()`; TumorGAN.init_netSeg reads `state_dict`);
 * - `module.` removed (DataParallel/DDP wrappers) and `backbone.` removed (VoCo pre-training
 *   checkpoints), `swin_vit` renamed `swinViT` (older MONAI attribute name).
 * Python does these with str.replace anywhere in the key; here they act on whole dotted path
 * segments, which gives the same keys for every official model (no key of theirs has such a
 * segment elsewhere) without mangling a name like `submodule.` or `mybackbone.`.
 */
import { TorchReadError } from './errors.ts';
import { isTorchTensor, type TorchTensor } from './tensor.ts';

export type StateDictContainer = 'state_dict' | 'net' | 'network_weights' | 'bare';

export interface StateDictMeta {
  epoch?: number;
  bestAcc?: number;
  container: StateDictContainer;
}

const DROPPED_SEGMENTS = new Set(['module', 'backbone']);
const RENAMED_SEGMENTS: Record<string, string> = { swin_vit: 'swinViT' };

export function normaliseKey(key: string): string {
  return key
    .split('.')
    .filter((s) => !DROPPED_SEGMENTS.has(s))
    .map((s) => RENAMED_SEGMENTS[s] ?? s)
    .join('.');
}

export function findStateDict(obj: unknown, fileName: string): { stateDict: Map<string, TorchTensor>; meta: StateDictMeta } {
  if (!(obj instanceof Map)) throw new TorchReadError(fileName, 'the checkpoint is not a dict, so it holds no state_dict');
  let container: StateDictContainer = 'bare';
  let source: unknown = obj;
  for (const name of ['state_dict', 'network_weights', 'net'] as const) {
    if (obj.has(name)) {
      container = name;
      source = obj.get(name);
      break;
    }
  }
  if (!(source instanceof Map)) throw new TorchReadError(fileName, `"${container}" is not a dict of tensors`);
  const stateDict = new Map<string, TorchTensor>();
  for (const [key, value] of source) {
    const where = container === 'bare' ? `key "${String(key)}"` : `"${container}" key "${String(key)}"`;
    if (typeof key !== 'string') throw new TorchReadError(fileName, `${where} is not a string`);
    if (!isTorchTensor(value)) throw new TorchReadError(fileName, `${where} is not a tensor`);
    const name = normaliseKey(key);
    if (stateDict.has(name)) throw new TorchReadError(fileName, `keys collide after removing module./backbone. prefixes: "${name}"`);
    stateDict.set(name, value);
  }
  const meta: StateDictMeta = { container };
  const epoch = obj.get('epoch');
  if (typeof epoch === 'number') meta.epoch = epoch;
  const bestAcc = obj.get('best_acc');
  if (typeof bestAcc === 'number') meta.bestAcc = bestAcc;
  return { stateDict, meta };
}

export interface TganParts {
  netG: Map<string, TorchTensor>;
  netD: Map<string, TorchTensor>;
  netSeg: Map<string, TorchTensor>;
}

/** TGAN.pt holds netG.*, netD.* and netSeg.* in one state_dict; split it, prefixes removed. */
export function splitTgan(stateDict: Map<string, TorchTensor>, fileName = 'TGAN state_dict'): TganParts {
  const parts: TganParts = { netG: new Map(), netD: new Map(), netSeg: new Map() };
  for (const [key, t] of stateDict) {
    const dot = key.indexOf('.');
    const head = key.slice(0, dot);
    if (dot < 0 || !(head === 'netG' || head === 'netD' || head === 'netSeg')) {
      throw new TorchReadError(fileName, `key "${key}" belongs to none of netG, netD, netSeg (not a TGAN checkpoint?)`);
    }
    parts[head].set(key.slice(dot + 1), t);
  }
  return parts;
}
