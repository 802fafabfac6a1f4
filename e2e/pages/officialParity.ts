/**
 * Test page (dev server only, not in the app build) for e2e/officialCheckpoint.spec.ts: a picked
 * torch.save SwinUNETR goes through the lab's own conversion (ptImport: torch reader → FreeTumor
 * checkpoint → restoreNetwork) and runs on WebGPU (SwiftShader here) on the official fixtures'
 * input x[i] = 0.5 + 0.5 sin(0.013 i) at the size given by ?size= (default 64). The page only
 * computes: the spec compares the output with PyTorch's in Node. The fixture file comes from the
 * spec (setInputFiles), never from the server.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { restoreNetwork } from '../../src/models/checkpoint.ts';
import { importTorchSave } from '../../src/app/qualityLab/ptImport.ts';

export interface OfficialParityReport {
  done: true;
  ok: boolean;
  error?: string;
  backend: string;
  adapter: Record<string, unknown> | null;
  size: number;
  config: unknown;
  card: unknown;
  /** Our output [1, z, y, x, C] (channels last), float32 little-endian, base64. */
  output: string;
  outChannels: number;
  /** forward includes compiling the shaders (one pass only: a second costs minutes on SwiftShader). */
  timingsMs: { read: number; build: number; forward: number };
  numTensorsBefore: number;
  numTensorsAfter: number;
  gpuErrors: string[];
}

declare global {
  interface Window {
    __official?: OfficialParityReport | { done: true; ok: false; error: string };
  }
}

const statusEl = document.getElementById('status')!;
const reportEl = document.getElementById('report')!;
const status = (s: string) => {
  statusEl.textContent = s;
};

function toBase64(a: Float32Array): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

async function run(file: File): Promise<OfficialParityReport> {
  const size = Number(new URLSearchParams(location.search).get('size') ?? 64);
  const gpuErrors: string[] = [];
  status('webgpu init…');
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
  const be = tf.backend() as unknown as { device: { addEventListener(t: string, cb: (e: { error: { message: string } }) => void): void }; adapterInfo?: Record<string, unknown> };
  be.device.addEventListener('uncapturederror', (e) => gpuErrors.push(e.error.message));
  const adapter = be.adapterInfo ? { vendor: be.adapterInfo.vendor, architecture: be.adapterInfo.architecture } : null;

  status('reading the checkpoint…');
  let t = performance.now();
  const bytes = new Uint8Array(await file.arrayBuffer());
  const ck = (await importTorchSave(bytes, file.name, 'segmentor')).models[0].ck;
  const read = performance.now() - t;
  const numTensorsBefore = tf.memory().numTensors;
  t = performance.now();
  const net = restoreNetwork(ck, 'S', { role: 'segmentor' });
  const build = performance.now() - t;

  // The fixtures' input, flat NCDHW with one channel = our [1, z, y, x, 1] in the same order.
  const n = size ** 3;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.fround(0.5 + 0.5 * Math.sin(0.013 * i));
  const forward = async () => {
    const t0 = performance.now();
    const y = tf.tidy(() => net.apply(tf.tensor5d(x, [1, size, size, size, 1])));
    try {
      const data = (await y.data()) as Float32Array;
      return { data, ms: performance.now() - t0 };
    } finally {
      y.dispose();
    }
  };
  status(`forward at ${size}³…`);
  const first = await forward();
  net.dispose();
  return {
    done: true,
    ok: gpuErrors.length === 0,
    backend: tf.getBackend(),
    adapter,
    size,
    config: ck.manifest.networks.S.config,
    card: ck.manifest.card,
    output: toBase64(first.data),
    outChannels: ck.manifest.networks.S.config.outChannels,
    timingsMs: { read, build, forward: first.ms },
    numTensorsBefore,
    numTensorsAfter: tf.memory().numTensors,
    gpuErrors,
  };
}

document.getElementById('pt')!.addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  run(file)
    .then((r) => {
      window.__official = r;
      status(r.ok ? 'done' : 'done, with GPU errors');
      reportEl.textContent = JSON.stringify({ ...r, output: `${r.output.length} base64 chars` }, null, 2);
    })
    .catch((err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      window.__official = { done: true, ok: false, error };
      status(`failed: ${error}`);
    });
});
