/**
 * int32 CTs whose values float32 cannot hold (here ±2^31 − 1 in the air around the body) go
 * through `simulate` and come out exact: the tool no longer refuses its own output, and `inspect`
 * reports them as they are.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../core/nifti/index.ts';
import { readNiftiFile } from './io.ts';
import { runCli } from './testing/runCli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'precision-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('int32 data through simulate', () => {
  it('keeps every untouched voxel exact, and simulate accepts its own output', async () => {
    const dims: [number, number, number] = [48, 48, 24];
    const affine = [1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1];
    const n = dims[0] * dims[1] * dims[2];
    const ct = new Int32Array(n);
    const seg = new Uint8Array(n);
    for (let v = 0; v < n; v++) {
      const i = v % 48, j = Math.floor(v / 48) % 48, k = Math.floor(v / 2304);
      const r = Math.hypot(i - 24, j - 24, (k - 12) * 1.5);
      seg[v] = r < 14 ? 5 : 0; // a liver ball, TotalSegmentator id 5
      ct[v] = r < 14 ? 60 + (v % 7) : i === 0 ? 2147483647 - (v % 5) : j === 0 ? -2147483648 + (v % 3) : -1000;
    }
    const image = join(tmp, 'ct.nii.gz');
    const label = join(tmp, 'seg.nii.gz');
    writeFileSync(image, await writeNifti({ dims, affine, data: ct }));
    writeFileSync(label, await writeNifti({ dims, affine, data: seg }));
    const src = await readNiftiFile(image);
    expect(src.volume.data[0]).toBe(2147483648); // float32's rounding, the reason `exact` exists
    expect(Array.from(src.exact!)).toEqual(Array.from(ct));

    // inspect reports the file's extremes, not their float32 roundings (2147483648 does not fit int32).
    const info = await runCli('inspect', image);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).intensity).toEqual({ min: -2147483648, max: 2147483647 });

    const args = (img: string, out: string) => ['simulate', '--image', img, '--label', label, '--label-map', 'totalsegmentator', '--organ', 'liver', '--size-class', 'tiny', '--seed', '3', '--out', out];
    const first = await runCli(...args(image, join(tmp, 'a')));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const out = await readNiftiFile(join(tmp, 'a', 'ct_synthetic.nii.gz'));
    const exact = out.exact ?? Int32Array.from(out.volume.data);
    let changed = 0;
    for (let v = 0; v < n; v++) {
      if (seg[v] === 0) expect(exact[v]).toBe(ct[v]);
      else if (exact[v] !== ct[v]) changed++;
    }
    expect(changed).toBeGreaterThan(0); // the tumour itself

    const second = await runCli(...args(join(tmp, 'a', 'ct_synthetic.nii.gz'), join(tmp, 'b')));
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
  });
});
