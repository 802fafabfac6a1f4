/**
 * Fast conv3d kernels registered into tfjs in place of the stock ones, for the cpu backend
 * (implicit-GEMM WebAssembly SIMD) and the webgpu backend (tiled implicit-GEMM WGSL), the same
 * code in the browser and in Node (Dawn).
 *
 *   registerFastKernels()            override Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2
 *                                    (and, on cpu, fast paths of Add/Sub/Multiply/RealDiv, Sum,
 *                                    Mean, Relu, Step, SplitV, Concat, Transpose, MaxPool3D(+Grad);
 *                                    src/models/unet.ts then upsamples with tf.conv3dTranspose),
 *                                    and adds cpu's fused normalisation kernels (./norm.ts)
 *   registerFastKernels({ backends: ['cpu'] })   only some backends
 *   restoreStockKernels()            put tfjs's own kernels back (they are saved, never lost)
 *   configureKernelThreads({ threads, spawn })   run the cpu conv kernels on several threads
 *                                    (cpu/threads.ts; bit-identical results for any count)
 *
 * The stock kernels stay the default for comparison when the environment variable
 * FREETUMOR_STOCK_KERNELS=1 is set (Node) or `{ stock: true }` is passed: registerFastKernels
 * then registers nothing and says so in its result.
 *
 * A backend whose kernels are not registered yet (e.g. webgpu before
 * @tensorflow/tfjs-backend-webgpu is imported) is skipped; call again after importing it.
 */
import * as tf from '@tensorflow/tfjs';
import { envVar } from './env.ts';
import { cpuConv3D, cpuConv3DBackpropFilterV2, cpuConv3DBackpropInputV2 } from './cpu/register.ts';
import { cpuAdd, cpuMean, cpuMultiply, cpuRealDiv, cpuRelu, cpuStep, cpuSub, cpuSum } from './cpu/channelOps.ts';
import { cpuConcat, cpuMaxPool3D, cpuMaxPool3DGrad, cpuSplitV, cpuTranspose } from './cpu/layoutOps.ts';
import { CPU_NORM_KERNELS } from './cpu/normKernels.ts';
import { webgpuConv3D, webgpuConv3DBackpropFilterV2, webgpuConv3DBackpropInputV2 } from './webgpu/register.ts';

export type FastBackend = 'cpu' | 'webgpu';

export const CONV3D_KERNELS = ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'] as const;

type Factory = (stock: tf.KernelFunc) => tf.KernelFunc;

/**
 * Per backend, the kernels replaced. On cpu, besides the convolutions, the generic kernels that
 * dominated a U-Net step once the convs were fast (profile: bench/profileStep.ts): float32
 * broadcasting binary ops, channel reductions (Sum, Mean), Relu and Step (its gradient), SplitV
 * (concat's gradient), Concat, Transpose, MaxPool3D and its gradient. Each covers float32
 * (SplitV / Concat / Transpose: any numeric dtype) and hands other cases to the stock kernel.
 * webgpu replaces only the convolutions.
 */
const factories: Record<FastBackend, Record<string, Factory>> = {
  cpu: {
    Conv3D: cpuConv3D,
    Conv3DBackpropInputV2: cpuConv3DBackpropInputV2,
    Conv3DBackpropFilterV2: cpuConv3DBackpropFilterV2,
    Add: cpuAdd,
    Sub: cpuSub,
    Multiply: cpuMultiply,
    RealDiv: cpuRealDiv,
    Sum: cpuSum,
    Mean: cpuMean,
    Relu: cpuRelu,
    Step: cpuStep,
    SplitV: cpuSplitV,
    Concat: cpuConcat,
    Transpose: cpuTranspose,
    MaxPool3D: cpuMaxPool3D,
    MaxPool3DGrad: cpuMaxPool3DGrad,
  },
  webgpu: {
    Conv3D: webgpuConv3D,
    Conv3DBackpropInputV2: webgpuConv3DBackpropInputV2,
    Conv3DBackpropFilterV2: webgpuConv3DBackpropFilterV2,
  },
};

/** Stock configs by `${backend}_${kernel}`, saved before the first override. */
const stockConfigs = new Map<string, tf.KernelConfig>();

export interface RegisterOptions {
  backends?: FastBackend[];
  /** Keep the stock kernels (the comparison flag); defaults to FREETUMOR_STOCK_KERNELS=1. */
  stock?: boolean;
}

export interface RegisterResult {
  /** `${backend}_${kernel}` of every kernel now fast. */
  registered: string[];
  /** Why something was not registered. */
  skipped: string[];
}

function stockFlag(): boolean {
  const v = envVar('FREETUMOR_STOCK_KERNELS');
  return v !== undefined && v !== '' && v !== '0';
}

export function registerFastKernels(opts: RegisterOptions = {}): RegisterResult {
  const result: RegisterResult = { registered: [], skipped: [] };
  if (opts.stock ?? stockFlag()) {
    result.skipped.push('stock kernels requested (FREETUMOR_STOCK_KERNELS / stock: true)');
    return result;
  }
  for (const backend of opts.backends ?? (['cpu', 'webgpu'] as FastBackend[])) {
    for (const name of Object.keys(factories[backend])) {
      const key = `${backend}_${name}`;
      const current = tf.getKernel(name, backend);
      if (!current) {
        result.skipped.push(`${key}: backend has no such kernel registered (not imported?)`);
        continue;
      }
      if (!stockConfigs.has(key)) stockConfigs.set(key, current);
      const stock = stockConfigs.get(key)!;
      tf.unregisterKernel(name, backend);
      tf.registerKernel({ ...stock, kernelFunc: factories[backend][name](stock.kernelFunc) });
      result.registered.push(key);
    }
    // Kernels tfjs does not have (fused normalisation, used by ./norm.ts): added, not replaced.
    if (backend === 'cpu') {
      for (const cfg of CPU_NORM_KERNELS) {
        if (!tf.getKernel(cfg.kernelName, 'cpu')) tf.registerKernel(cfg);
        result.registered.push(`cpu_${cfg.kernelName}`);
      }
    }
  }
  return result;
}

/** Put back tfjs's own kernels wherever registerFastKernels replaced them. */
export function restoreStockKernels(backends?: FastBackend[]): void {
  for (const [key, cfg] of stockConfigs) {
    if (backends && !backends.includes(cfg.backendName as FastBackend)) continue;
    tf.unregisterKernel(cfg.kernelName, cfg.backendName);
    tf.registerKernel(cfg);
    stockConfigs.delete(key);
  }
  if (!backends || backends.includes('cpu')) {
    for (const cfg of CPU_NORM_KERNELS) if (tf.getKernel(cfg.kernelName, 'cpu')) tf.unregisterKernel(cfg.kernelName, 'cpu');
  }
}

/** Whether `backend`'s kernels are currently the fast ones. */
export function fastKernelsActive(backend: FastBackend): boolean {
  return Object.keys(factories[backend]).every((n) => stockConfigs.has(`${backend}_${n}`));
}

export { fastConv3dAvailable } from './cpu/conv3d.ts';
export { configureKernelThreads, kernelThreadsInfo, shutdownKernelThreads } from './cpu/threads.ts';
export type { KernelThreadsInfo, KernelWorkerLike, KernelWorkerSpawner } from './cpu/threads.ts';
export { registerConv3dTransposeGradient } from './gradients.ts';
