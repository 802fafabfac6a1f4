/**
 * `--devices N|all` of the training commands: how many data-parallel replicas, and the line that
 * says so at start-up. `all` is one replica per WebGPU adapter Dawn lists (webgpu), or per CPU core
 * the process may use (cpu).
 */
import { availableParallelism } from 'node:os';
import { stringFlag, type FlagSpec, type ParsedArgs } from '../args.ts';
import { configureCpuKernelThreads, type BackendInfo } from '../backend.ts';
import { CliError } from '../cliTypes.ts';
import { DataParallel } from './dataParallel.ts';

export const DEVICES_FLAGS: Record<string, FlagSpec> = { devices: { type: 'string' } };

export const DEVICES_HELP = `  --devices N|all          data-parallel training on N devices (default 1): one worker thread per
                           device, each with its own backend, computing gradients on its share of
                           the batch; gradients are averaged every step. --batch is per device (the
                           global batch is N × batch). all: every WebGPU adapter (webgpu), or every
                           CPU core (cpu). BatchNorm uses per-device statistics (as PyTorch DDP).`;

export function devicesFlag(args: ParsedArgs): number | 'all' {
  const raw = stringFlag(args, 'devices');
  if (raw === undefined) return 1;
  if (raw === 'all') return 'all';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--devices must be an integer ≥ 1 or 'all', got '${raw}'`);
  return n;
}

/**
 * Dawn's node binding has no call that lists adapters; asked for an adapter that does not exist,
 * it rejects with the list ("Available adapters:\n * backend: 'vulkan', name: '…'"), as its README
 * documents. Returns the names, or null when the list cannot be read.
 */
export async function listWebgpuAdapters(): Promise<string[] | null> {
  try {
    const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): GPU };
    const gpu = dawn.create(['adapter=\u0001freetumor-lists-adapters']);
    const a = await gpu.requestAdapter();
    return a ? null : [];
  } catch (e) {
    const names = [...String((e as Error).message).matchAll(/^\s*\*\s*backend:\s*'[^']*',\s*name:\s*'(.*)'\s*$/gm)].map((m) => m[1]);
    return names.length ? names : null;
  }
}

/** The number of replicas, with the start-up line naming them. */
export async function resolveDevices(args: ParsedArgs, info: BackendInfo, label: string, perDeviceBatch: number): Promise<number> {
  const spec = devicesFlag(args);
  let n: number;
  let how: string;
  if (spec === 'all') {
    if (info.backend === 'cpu') {
      n = availableParallelism();
      how = `all: ${n} CPU core(s), one cpu replica each`;
    } else {
      const names = await listWebgpuAdapters();
      n = names?.length || 1;
      how = names ? `all: ${n} WebGPU adapter(s) — ${names.join('; ')}` : `all: 1 WebGPU adapter (Dawn did not list its adapters)`;
    }
  } else {
    n = spec;
    how = `${n} requested`;
  }
  if (n > 1) process.stderr.write(`${label}: data-parallel on ${n} devices (${how}); batch ${perDeviceBatch} per device, global batch ${n * perDeviceBatch}\n`);
  else if (spec === 'all') process.stderr.write(`${label}: --devices all found 1 device (${how}); single-device training\n`);
  return n;
}

/** The worker replicas for N > 1 (null for one device: the single-device path runs unchanged). */
export async function openDataParallel(n: number, info: BackendInfo, label: string, totalSteps: number, verifyEvery: number): Promise<DataParallel | null> {
  if (n < 2) return null;
  // Replica 0 started with every core for its kernel threads; now it shares them with n − 1 others.
  if (info.threads) info.threads = await configureCpuKernelThreads({ replicas: n });
  try {
    const pool = await DataParallel.start({ devices: n, backend: info.backend, label, totalSteps, verifyEvery });
    process.stderr.write(`${label}: ${n} replicas ready — ${[info.adapter, ...pool.adapters].map((a, i) => `${i}: ${info.backend} ${a}`).join('; ')}\n`);
    return pool;
  } catch (e) {
    throw new CliError(`${label}: could not start ${n} data-parallel devices on ${info.backend}: ${(e as Error).message}`);
  }
}
