import { availableParallelism } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { parseArgs } from '../args.ts';
import { probeWebGPU } from '../backend.ts';
import { CliError } from '../cliTypes.ts';
import { DEVICES_FLAGS, devicesFlag, listWebgpuAdapters, resolveDevices } from './devices.ts';

const args = (...argv: string[]) => parseArgs(argv, DEVICES_FLAGS, 'test');

describe('--devices', () => {
  it('takes a positive integer or all, and names the flag otherwise', () => {
    expect(devicesFlag(args())).toBe(1);
    expect(devicesFlag(args('--devices', '3'))).toBe(3);
    expect(devicesFlag(args('--devices', 'all'))).toBe('all');
    for (const bad of ['0', '-1', '1.5', 'two', '']) {
      expect(() => devicesFlag(args(`--devices=${bad}`))).toThrow(CliError);
      expect(() => devicesFlag(args(`--devices=${bad}`))).toThrow(`--devices must be an integer ≥ 1 or 'all', got '${bad}'`);
    }
  });

  it('all on cpu: one replica per core the process may use, said on the start-up line', async () => {
    let line = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((line += String(s)), true));
    try {
      const n = await resolveDevices(args('--devices', 'all'), { backend: 'cpu', adapter: 'tfjs cpu', kernels: 'fast' }, 'stage1', 2);
      expect(n).toBe(availableParallelism());
      if (n > 1) expect(line).toBe(`stage1: data-parallel on ${n} devices (all: ${n} CPU core(s), one cpu replica each); batch 2 per device, global batch ${2 * n}\n`);
      else expect(line).toMatch(/--devices all found 1 device/);
    } finally {
      spy.mockRestore();
    }
  });

  it('lists the WebGPU adapters Dawn finds (skipped without one)', async (ctx) => {
    const probe = await probeWebGPU();
    if (!probe.ok) ctx.skip();
    const names = await listWebgpuAdapters();
    expect(names).not.toBeNull();
    expect(names!.length).toBeGreaterThanOrEqual(1);
    for (const n of names!) expect(n.trim()).not.toBe('');
  });
});
