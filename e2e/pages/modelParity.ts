/**
 * Test page (dev server only, not in the app build): runs parityCases.ts on tfjs's cpu backend and
 * then, with the same weights and inputs, on webgpu; publishes the comparison as window.__parity
 * (JSON) and the raw outputs as window.__parityOutputs (base64 float32) for e2e/modelParity.spec.ts.
 * Last, on record: the tfjs-backend-webgpu 1-D bias-add trap in this browser.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { relErr } from '../../src/models/testUtil.ts';
import {
  B,
  CASES,
  CONFIGS,
  DIMS,
  TOL,
  computeAll,
  bitsEqual,
  caseError,
  makeInputs,
  makeWeights,
  outsideMaskCheck,
  toBase64,
  weightsDigest,
  type Outputs,
} from './parityCases.ts';

// Minimal WebGPU shapes (the DOM lib of this TypeScript has none; @webgpu/types is not in tsconfig).
interface GpuAdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: Set<string>;
}
interface GpuDeviceLike {
  addEventListener(type: 'uncapturederror', cb: (e: { error: { message: string } }) => void): void;
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

export interface ParityCaseResult {
  key: string;
  label: string;
  values: number;
  relErr: number;
  tol: number;
  exact: boolean;
  pass: boolean;
}

export interface BiasTrapResult {
  /** max |naive − expected| for tf.add(x5d [1,8,8,8,4], bias1d [4]) after a sentinel (−7) buffer was recycled. */
  naiveMaxAbsErr: number;
  /** The first few naive outputs (expected ≈ x + 1..4). */
  naiveSample: number[];
  /** Relative error of the [1,1,1,1,C] path used in src/models. */
  reshapedRelErr: number;
  /** The same correct add, run again after the invalid pipeline. */
  afterTrapRelErr: number;
  /** GPU errors raised while the trap ran. */
  errors: string[];
}

export interface ParityReport {
  done: true;
  ok: boolean;
  error?: string;
  userAgent: string;
  tfjsVersion: string;
  backend: { requested: 'webgpu'; setBackendReturned: boolean; active: string };
  adapter: {
    found: boolean;
    info: Record<string, unknown>;
    isFallbackAdapter: boolean | null;
    limits: Record<string, number>;
    features: string[];
    /** What tfjs's WebGPUBackend recorded. */
    tfjsAdapterInfo: Record<string, unknown> | null;
  };
  shapes: { crop: number[]; batch: number; encoder: number[][] };
  weightsDigest: string;
  cases: ParityCaseResult[];
  outsideMask: { cpu: { outside: number; mismatches: number }; webgpu: { outside: number; mismatches: number } };
  /** A second webgpu run gives the same bits (determinism); null unless the page was opened with ?repeat=1. */
  webgpuRepeatBitIdentical: boolean | null;
  biasTrap: BiasTrapResult | null;
  /** Every uncaptured GPU error seen, in order (the bias trap's are expected). */
  gpuErrors: string[];
  timingsMs: Record<string, number>;
}

declare global {
  interface Window {
    __parity?: ParityReport | { done: true; ok: false; error: string };
    __parityOutputs?: { cpu: Record<string, string>; webgpu: Record<string, string> };
  }
}

const statusEl = document.getElementById('status')!;
const reportEl = document.getElementById('report')!;
const status = (s: string) => {
  statusEl.textContent = s;
};

const gpuErrors: string[] = [];

async function adapterReport(): Promise<ParityReport['adapter']> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
  const info: Record<string, unknown> = {};
  if (adapter?.info) for (const k of ['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter', 'subgroupMinSize', 'subgroupMaxSize']) info[k] = adapter.info[k];
  const limits: Record<string, number> = {};
  if (adapter) for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension']) limits[k] = adapter.limits[k];
  const fb = adapter?.info && typeof adapter.info.isFallbackAdapter === 'boolean' ? adapter.info.isFallbackAdapter : adapter?.isFallbackAdapter;
  return {
    found: !!adapter,
    info,
    isFallbackAdapter: typeof fb === 'boolean' ? fb : null,
    limits,
    features: adapter ? [...adapter.features].sort() : [],
    tfjsAdapterInfo: null,
  };
}

/** The tfjs-backend-webgpu 5-D ⊕ 1-D broadcast bug, replayed as in src/models/backendAgreement.test.ts. */
async function biasTrap(): Promise<BiasTrapResult> {
  const first = gpuErrors.length;
  const shape = [1, 8, 8, 8, 4];
  const xs = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i * 0.37));
  const want = xs.map((v, i) => v + 1 + (i % 4));
  const x = tf.add(tf.tensor(xs, shape), 0); // resident on the GPU
  const bias = tf.tensor1d([1, 2, 3, 4]);
  const ours = tf.add(x, tf.reshape(bias, [1, 1, 1, 1, 4]));
  const reshapedRelErr = relErr(await ours.data(), want);
  ours.dispose();
  // The invalid shader never writes its output: leave a sentinel-filled buffer of that size in the pool.
  const sentinel = tf.add(tf.fill(shape, -7), 0);
  await sentinel.data();
  sentinel.dispose();
  const naiveT = tf.add(x, bias);
  const naive = await naiveT.data();
  naiveT.dispose();
  let naiveMaxAbsErr = 0;
  for (let i = 0; i < want.length; i++) naiveMaxAbsErr = Math.max(naiveMaxAbsErr, Math.abs(naive[i] - want[i]));
  const again = tf.add(x, tf.reshape(bias, [1, 1, 1, 1, 4]));
  const afterTrapRelErr = relErr(await again.data(), want);
  // Uncaptured errors arrive asynchronously; give them a moment.
  await new Promise((r) => setTimeout(r, 200));
  tf.dispose([x, bias, again]);
  return {
    naiveMaxAbsErr,
    naiveSample: Array.from(naive.slice(0, 8)),
    reshapedRelErr,
    afterTrapRelErr,
    errors: gpuErrors.slice(first),
  };
}

function render(r: ParityReport): void {
  const fmt = (e: number) => (e === 0 ? '0' : Number.isFinite(e) ? e.toExponential(2) : '∞');
  const rows = r.cases
    .map(
      (c) =>
        `<tr data-testid="parity-row-${c.key}"><td>${c.label}</td><td class="num">${c.values}</td>` +
        `<td class="num">${c.exact ? (c.pass ? 'bit-identical' : 'DIFFERENT') : fmt(c.relErr)}</td>` +
        `<td class="${c.pass ? 'pass' : 'fail'}">${c.pass ? 'pass' : 'FAIL'}</td></tr>`,
    )
    .join('');
  const o = r.outsideMask.webgpu;
  const t = r.biasTrap;
  reportEl.innerHTML =
    `<p>backend <b data-testid="parity-backend">${r.backend.active}</b> · adapter ` +
    `<b data-testid="parity-adapter">${[r.adapter.info.vendor, r.adapter.info.architecture, r.adapter.info.device, r.adapter.info.description].filter(Boolean).join(' / ') || '(no info)'}</b>` +
    ` · fallback ${r.adapter.isFallbackAdapter} · tfjs ${r.tfjsVersion} · crop ${r.shapes.crop.join('×')} × batch ${r.shapes.batch} · weights ${r.weightsDigest}</p>` +
    `<table><tr><th>function</th><th>values</th><th>max relative error (webgpu vs cpu)</th><th>&lt; ${TOL}</th></tr>${rows}</table>` +
    `<p data-testid="parity-outside">Eq. 1 outside M̃ on webgpu: ${o.mismatches} of ${o.outside} voxels differ from the input (bitwise). ` +
    (r.webgpuRepeatBitIdentical === null ? '' : `Repeat webgpu run bit-identical: ${r.webgpuRepeatBitIdentical}.`) +
    '</p>' +
    (t
      ? `<p data-testid="parity-bias-trap">1-D bias trap: naive tf.add(x5d, bias1d) max abs error ${t.naiveMaxAbsErr.toFixed(3)} ` +
        `(first values ${t.naiveSample.slice(0, 4).map((v) => v.toFixed(2)).join(', ')}); reshaped [1,1,1,1,C] rel. error ${fmt(t.reshapedRelErr)}; ` +
        `after the trap ${fmt(t.afterTrapRelErr)}; GPU errors: ${t.errors.length}</p>`
      : '') +
    `<p>times (ms): ${Object.entries(r.timingsMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(' · ')}</p>` +
    (r.gpuErrors.length ? `<p>GPU errors (${r.gpuErrors.length}; the bias trap's are expected):</p><pre data-testid="parity-gpu-errors">${r.gpuErrors.map((e) => e.slice(0, 300)).join('\n---\n').replace(/</g, '&lt;')}</pre>` : '');
}

async function main(): Promise<void> {
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const lap = (k: string, since: number) => {
    timings[k] = performance.now() - since;
    console.log(`[parity] ${k} ${timings[k].toFixed(0)} ms`);
    return performance.now();
  };
  status('cpu…');
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
  let t = performance.now();
  const weights = await makeWeights();
  const inputs = makeInputs();
  const cpu = await computeAll(weights, inputs);
  t = lap('cpu', t);

  status('webgpu init…');
  const adapter = await adapterReport();
  let setBackendReturned = false;
  try {
    setBackendReturned = await tf.setBackend('webgpu');
  } catch (e) {
    gpuErrors.push(`setBackend('webgpu') threw: ${String(e)}`);
  }
  const active = tf.getBackend();
  if (active === 'webgpu') {
    const be = tf.backend() as unknown as { device: GpuDeviceLike; adapterInfo?: Record<string, unknown> };
    be.device.addEventListener('uncapturederror', (e) => gpuErrors.push(e.error.message));
    adapter.tfjsAdapterInfo = be.adapterInfo ? { vendor: be.adapterInfo.vendor, architecture: be.adapterInfo.architecture } : null;
  }
  t = lap('webgpuInit', t);

  const cases: ParityCaseResult[] = [];
  let gpu: Outputs = {};
  let repeat: boolean | null = null;
  let biasTrapResult: BiasTrapResult | null = null;
  if (active === 'webgpu') {
    status('webgpu…');
    gpu = await computeAll(weights, inputs, (k, ms) => console.log(`[parity] webgpu ${k} ${ms.toFixed(0)} ms`));
    t = lap('webgpu', t);
    if (new URLSearchParams(location.search).get('repeat') === '1') {
      // Off by default: a second pass doubles the slowest part of the test on SwiftShader.
      status('webgpu (repeat)…');
      const gpu2 = await computeAll(weights, inputs);
      repeat = CASES.every((c) => bitsEqual(gpu[c.key], gpu2[c.key]));
      t = lap('webgpuRepeat', t);
    }
  }
  for (const c of CASES) {
    const e = gpu[c.key] ? caseError(c, gpu[c.key], cpu[c.key]) : Infinity;
    cases.push({ key: c.key, label: c.label, values: cpu[c.key].length, relErr: e, tol: TOL, exact: !!c.exact, pass: e < TOL });
  }
  const none = { outside: 0, mismatches: -1 };
  const outsideMask = {
    cpu: outsideMaskCheck(cpu.synthesis, cpu.blurMask, inputs),
    webgpu: gpu.synthesis ? outsideMaskCheck(gpu.synthesis, gpu.blurMask, inputs) : none,
  };
  // Publish the outputs before the bias trap: an invalid pipeline may spoil later GPU work.
  const enc = (o: Outputs) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toBase64(v)]));
  window.__parityOutputs = { cpu: enc(cpu), webgpu: enc(gpu) };
  if (active === 'webgpu') {
    status('bias trap…');
    biasTrapResult = await biasTrap();
    t = lap('biasTrap', t);
  }
  timings.total = performance.now() - t0;

  const report: ParityReport = {
    done: true,
    ok: active === 'webgpu' && cases.every((c) => c.pass) && outsideMask.webgpu.mismatches === 0,
    userAgent: navigator.userAgent,
    tfjsVersion: tf.version.tfjs,
    backend: { requested: 'webgpu', setBackendReturned, active },
    adapter,
    shapes: { crop: [...DIMS], batch: B, encoder: CONFIGS.G.encoder },
    weightsDigest: weightsDigest(weights),
    cases,
    outsideMask,
    webgpuRepeatBitIdentical: repeat,
    biasTrap: biasTrapResult,
    gpuErrors: [...gpuErrors],
    timingsMs: timings,
  };
  if (active !== 'webgpu') report.error = `webgpu did not take effect: tf.getBackend() is '${active}'`;
  render(report);
  status(report.ok ? 'done: all pass' : `done: FAIL${report.error ? ` (${report.error})` : ''}`);
  window.__parity = report;
}

main().catch((e: unknown) => {
  const error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  status(`error: ${error}`);
  window.__parity = { done: true, ok: false, error };
});
