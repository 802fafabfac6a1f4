// scripts/device-check.sh runs only on a GPU machine (and, slowly, on lavapipe: docs/benchmarks.md);
// here: its shell parses, a wrong option is refused, and its report writer turns collected parts
// into the ratios and tables the GPU session reads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/device-check.sh', import.meta.url));
const reporter = fileURLToPath(new URL('../../scripts/device-report.mjs', import.meta.url));
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function part(work: string, n: number, name: string, meta: string, log: string) {
  writeFileSync(join(work, 'parts', `0${n}-${name}.meta`), `name=${name}\ncommand=run ${name}\n${meta}`);
  writeFileSync(join(work, 'parts', `0${n}-${name}.log`), log);
}

describe('scripts/device-check.sh', () => {
  it('parses (bash -n) and refuses an unknown option', () => {
    expect(spawnSync('bash', ['-n', script], { encoding: 'utf8' }).status).toBe(0);
    const r = spawnSync('bash', [script, '--no-such-option'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --no-such-option');
  });

  it('reports each part, MISSING items and the ratios of the parts that measured', () => {
    const work = mkdtempSync(join(tmpdir(), 'device-work-'));
    const out = mkdtempSync(join(tmpdir(), 'device-out-'));
    dirs.push(work, out);
    mkdirSync(join(work, 'parts'));
    writeFileSync(join(work, 'env.txt'), 'cpu=Test CPU · 16 cores\nmissing=libvulkan.so.1\nmissing=NVIDIA Vulkan ICD\n');
    // paperStep writes its results to <part>.json; the PyTorch tools print one JSON line last.
    writeFileSync(join(work, 'step_webgpu.json'), JSON.stringify({ results: [{ where: 'Node webgpu', seconds: 3 }] }));
    part(work, 1, 'step_webgpu', 'rc=0\nseconds=40\nlimit=150\nstatus=ok\n', 'text\n');
    part(work, 2, 'torch_step_cuda', 'rc=0\nseconds=9\nlimit=90\nstatus=ok\n', 'warning {not json\n{"seconds": 0.5, "device": "cuda"}\n');
    part(work, 3, 'forward_webgpu', 'rc=124\nseconds=120\nlimit=120\nstatus=stopped at its 120s limit\n', 'partial output\n');
    writeFileSync(join(work, 'parts', '04-step_cpu.meta'), 'name=step_cpu\ncommand=\nstatus=skipped (--no-cpu or no Node)\n');
    const r = spawnSync(process.execPath, [reporter, work, out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'device-report.json'), 'utf8'));
    expect(json.env.missing).toEqual(['libvulkan.so.1', 'NVIDIA Vulkan ICD']);
    expect(json.parts.map((p: { name: string; measuredSeconds: number | null }) => [p.name, p.measuredSeconds])).toEqual([
      ['step_webgpu', 3],
      ['torch_step_cuda', 0.5],
      ['forward_webgpu', null],
      ['step_cpu', null],
    ]);
    expect(json.ratios).toEqual([{ what: 'training step: tfjs webgpu (Dawn) ÷ PyTorch CUDA', ours: 'step_webgpu', reference: 'torch_step_cuda', ratio: 6 }]);
    const md = readFileSync(join(out, 'device-report.md'), 'utf8');
    expect(md).toContain('- **MISSING**: NVIDIA Vulkan ICD');
    expect(md).toContain('| forward_webgpu | stopped at its 120s limit | — | 120 s | 120 s |');
    expect(md).toContain('| training step: tfjs webgpu (Dawn) ÷ PyTorch CUDA | ×6.00 |');
    expect(md).toContain('| step_cpu | skipped (--no-cpu or no Node) | — | — | — |');
  });
});
