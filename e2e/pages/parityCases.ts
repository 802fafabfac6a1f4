/**
 * The model functions compared across backends (issue 4: "cpu and webgpu must agree, relative error
 * < 1e-4, for every model function"). Backend-agnostic: the Chromium test page runs it on cpu and
 * then on webgpu, and e2e/modelParity.spec.ts runs it again on Node's cpu backend to check that the
 * browser saw the same weights and produced the same numbers.
 *
 * Tiny on purpose (SwiftShader WebGPU is slow, ~4 s per 1000 voxels of batch here): 8×8×16 crops,
 * batch 2, two-level U-Nets of width 2–4.
 * All data comes from fixed seeds; nothing here touches the DOM or picks a backend.
 */
import * as tf from '@tensorflow/tfjs';
import { TUMOUR_CLASSES, unetConfig, type UNetConfig } from '../../src/models/config.ts';
import { gaussianBlur3d } from '../../src/models/gaussianBlur.ts';
import { adversarialLoss, classifierLoss, diceCELoss, diceCEPerSample, generatorLoss, segmentationLoss } from '../../src/models/losses.ts';
import { createClassifier, createGenerator, createSegmentor, type Network } from '../../src/models/networks.ts';
import { qualityCounts, qualityFromCounts } from '../../src/models/qualityTest.ts';
import { synthesizeWithGenerator } from '../../src/models/synthesis.ts';
import { randomArray, relErr } from '../../src/models/testUtil.ts';

/** Crop [z, y, x]: long in x so that part of it lies beyond the blurred mask's reach (±3 voxels). */
export const DIMS: [number, number, number] = [8, 8, 16];
export const B = 2;
const [DZ, DY, DX] = DIMS;
const N = DZ * DY * DX;
export const TOL = 1e-4;

const ENCODER = [
  [2, 4],
  [4, 4],
];
export const CONFIGS: Record<'G' | 'S' | 'C', UNetConfig> = {
  G: unetConfig(1, 3, ENCODER, { seed: 101 }),
  S: unetConfig(1, 7, ENCODER, { seed: 102, norm: 'instance' }),
  C: unetConfig(1, 3, ENCODER, { seed: 103 }),
};

/** Plain weights of the three networks, by network and parameter name. */
export type WeightSet = Record<'G' | 'S' | 'C', Map<string, { shape: number[]; data: Float32Array }>>;

function build(which: 'G' | 'S' | 'C', weights?: Map<string, tf.Tensor>): Network {
  const cfg = CONFIGS[which];
  if (which === 'G') return createGenerator(cfg, weights);
  if (which === 'C') return createClassifier(cfg, weights);
  return createSegmentor(cfg, 'universal', weights);
}

/**
 * The networks' seeded initial weights, read back as arrays; biases, gammas and betas get
 * non-trivial values (the init makes them 0 / 1) so every per-channel broadcast is exercised.
 * Call on the cpu backend.
 */
export async function makeWeights(): Promise<WeightSet> {
  const out = {} as WeightSet;
  for (const which of ['G', 'S', 'C'] as const) {
    const net = build(which);
    const m = new Map<string, { shape: number[]; data: Float32Array }>();
    let j = 0;
    for (const [name, v] of net.params) {
      let data = Float32Array.from((await v.data()) as Float32Array);
      if (/\.(bias|gamma|beta)$/.test(name)) data = data.map((_, i) => 0.5 + 0.1 * i - 0.05 * (j % 3));
      m.set(name, { shape: [...v.shape], data });
      j++;
    }
    net.dispose();
    out[which] = m;
  }
  return out;
}

/** FNV-1a over the bytes of every weight, in a fixed order: "same weights" as one number. */
export function weightsDigest(w: WeightSet): string {
  let h = 0x811c9dc5;
  for (const which of ['G', 'S', 'C'] as const) {
    for (const [name, { data }] of [...w[which]].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Fixed inputs (plain arrays). */
export interface ParityInputs {
  image: Float32Array;
  synthMask: Float32Array;
  organMask: Float32Array;
  realMask: Float32Array;
  texture: Float32Array;
  labels: Int32Array;
  multi: Float32Array;
}

/** A solid ball (0/1) of radius r at c = (z, y, x) in the crop. */
function ball(c: [number, number, number], r: number): Float32Array {
  const m = new Float32Array(N);
  for (let z = 0; z < DZ; z++)
    for (let y = 0; y < DY; y++)
      for (let x = 0; x < DX; x++) if ((z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2 <= r * r) m[(z * DY + y) * DX + x] = 1;
  return m;
}

export function makeInputs(): ParityInputs {
  const synthMask = new Float32Array(B * N);
  synthMask.set(ball([4, 4, 4], 2));
  synthMask.set(ball([3, 4, 5], 1.5), N);
  // Organ mask: sample 0 cuts its ball with a half-space (x < 5), sample 1's covers everything.
  const organMask = new Float32Array(B * N);
  for (let i = 0; i < N; i++) {
    organMask[i] = i % DX < 5 ? 1 : 0;
    organMask[N + i] = 1;
  }
  // "Real tumour" voxels: a block at the far end of x.
  const realMask = new Float32Array(B * N).map((_, i) => (i % DX >= 12 && Math.floor(i / DX) % DY < 4 ? 1 : 0));
  const labels = Int32Array.from(synthMask, (v, i) => (v ? 2 : i % 3 === 0 ? 1 : i % 7 === 0 ? 5 : 0));
  return {
    image: randomArray(B * N, 1),
    synthMask,
    organMask,
    realMask,
    texture: randomArray(B * N, 2, 0.04, 0.26),
    labels,
    multi: randomArray(N * 3, 3, -1, 1),
  };
}

/** What is compared. `parts` splits a vector into independently-normalised pieces (one per scalar loss). */
export interface CaseInfo {
  key: string;
  label: string;
  /** Must match to the bit (counts). */
  exact?: boolean;
  parts?: string[];
}

export const LOSS_NAMES = [
  'L_seg reference',
  'L_seg euclidean',
  'L_adv',
  'L_C (classifier)',
  'generator: seg',
  'generator: adv',
  'generator: total (λ 0.1)',
  'Dice-CE',
  'Dice-CE weighted (Eq. 8)',
  'Dice-CE sample 0',
  'Dice-CE sample 1',
];

export const CASES: CaseInfo[] = [
  { key: 'blurMask', label: 'Gaussian blur B (M → M̃, 7³ σ 1)' },
  { key: 'blurMulti', label: 'Gaussian blur B (3 channels)' },
  { key: 'generatorForward', label: 'G forward (3 organ channels)' },
  { key: 'synthesis', label: 'Eq. 1 synthesis (synthesizeWithGenerator)' },
  { key: 'segmentorForward', label: 'S forward (universal, 7 classes)' },
  { key: 'classifierForward', label: 'C forward (bg / real / synthetic)' },
  { key: 'losses', label: 'losses (each scalar separately)', parts: LOSS_NAMES },
  { key: 'lossGrads', label: 'loss gradients w.r.t. logits' },
  { key: 'qualityCounts', label: 'quality test counts |M ∩ tumour|, |M|', exact: true },
  { key: 'qualityP', label: 'quality test P (T = 0.7)' },
];

export type Outputs = Record<string, Float32Array>;

/** Every compared output, on the current backend, from the given weights and inputs. */
export async function computeAll(weights: WeightSet, inp: ParityInputs, onStep?: (key: string, ms: number) => void): Promise<Outputs> {
  let last = performance.now();
  const nets = {} as Record<'G' | 'S' | 'C', Network>;
  for (const which of ['G', 'S', 'C'] as const) {
    const m = new Map<string, tf.Tensor>();
    for (const [name, { shape, data }] of weights[which]) m.set(name, tf.tensor(data, shape));
    nets[which] = build(which, m);
    tf.dispose([...m.values()]);
  }
  const shape5: [number, number, number, number, number] = [B, DZ, DY, DX, 1];
  const image = tf.tensor5d(inp.image, shape5);
  const synthMask = tf.tensor5d(inp.synthMask, shape5);
  const organMask = tf.tensor5d(inp.organMask, shape5);
  const realMask = tf.tensor5d(inp.realMask, shape5);
  const texture = tf.tensor5d(inp.texture, shape5);
  const labels = tf.tensor4d(inp.labels, [B, DZ, DY, DX], 'int32');
  const multi = tf.tensor5d(inp.multi, [1, DZ, DY, DX, 3]);
  const U = TUMOUR_CLASSES.universal;
  const out: Outputs = {};
  const keep: tf.Tensor[] = [];
  const read = async (key: string, t: tf.Tensor) => {
    keep.push(t);
    out[key] = Float32Array.from((await t.data()) as Float32Array);
    const now = performance.now();
    onStep?.(key, now - last);
    last = now;
  };

  const softMask = gaussianBlur3d(synthMask);
  await read('blurMask', softMask);
  await read('blurMulti', gaussianBlur3d(multi));
  await read('generatorForward', nets.G.apply(image));
  const xhat = synthesizeWithGenerator(nets.G, { image, softMask, texture, organChannel: [0, 2], organMask });
  await read('synthesis', xhat);
  const sLogits = nets.S.apply(xhat);
  await read('segmentorForward', sLogits);
  const cLogits = nets.C.apply(xhat);
  await read('classifierForward', cLogits);
  const losses = tf.tidy(() => {
    const g = generatorLoss(sLogits, cLogits, synthMask, U, 0.1);
    return tf.concat([
      tf.stack([
        segmentationLoss(sLogits, synthMask, U),
        segmentationLoss(sLogits, synthMask, U, 'euclidean'),
        adversarialLoss(cLogits, synthMask),
        classifierLoss(cLogits, synthMask, realMask),
        g.seg,
        g.adv,
        g.total,
        diceCELoss(sLogits, labels),
        diceCELoss(sLogits, labels, undefined, [0.4, 1]),
      ]),
      diceCEPerSample(sLogits, labels),
    ]);
  });
  await read('losses', losses);
  const grads = tf.tidy(() => {
    const gs = [
      tf.grad((z: tf.Tensor) => segmentationLoss(z as tf.Tensor5D, synthMask, U))(sLogits),
      tf.grad((z: tf.Tensor) => generatorLoss(sLogits, z as tf.Tensor5D, synthMask, U, 0.1).total)(cLogits),
      tf.grad((z: tf.Tensor) => classifierLoss(z as tf.Tensor5D, synthMask, realMask))(cLogits),
      tf.grad((z: tf.Tensor) => diceCELoss(z as tf.Tensor5D, labels))(sLogits),
    ];
    return tf.concat(gs.map((g) => tf.reshape(g, [-1])));
  });
  await read('lossGrads', grads);
  const counts = qualityCounts(sLogits, synthMask, U);
  await read('qualityCounts', counts);
  out.qualityP = Float32Array.from(qualityFromCounts(out.qualityCounts, 0.7).P);

  tf.dispose([...keep, image, synthMask, organMask, realMask, texture, labels, multi]);
  for (const n of Object.values(nets)) n.dispose();
  return out;
}

/** Relative error of one case: max over its parts of max|a − b| / max|b| (b the reference). */
export function caseError(info: CaseInfo, a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  if (info.exact) return bitsEqual(a, b) ? 0 : Infinity;
  if (!info.parts) return relErr(a, b);
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, relErr([a[i]], [b[i]]));
  return e;
}

export function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/**
 * Eq. 1's promise: where the effective mask M̃·[organ] is 0 the output is the input, to the bit.
 * Returns how many such voxels there are and how many differ.
 */
export function outsideMaskCheck(synthesis: Float32Array, softMask: Float32Array, inp: ParityInputs): { outside: number; mismatches: number } {
  const out = new Uint32Array(synthesis.buffer, synthesis.byteOffset, synthesis.length);
  const img = new Uint32Array(inp.image.buffer, inp.image.byteOffset, inp.image.length);
  let outside = 0;
  let mismatches = 0;
  for (let i = 0; i < synthesis.length; i++) {
    if (softMask[i] * (inp.organMask[i] > 0 ? 1 : 0) > 0) continue;
    outside++;
    if (out[i] !== img[i]) mismatches++;
  }
  return { outside, mismatches };
}

/** Float32 arrays ↔ base64, so results cross page.evaluate bit for bit. */
export function toBase64(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(s: string): Float32Array {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
