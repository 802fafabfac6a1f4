/** The queue's flags and bookkeeping, without Redis: URL parsing, argv rewriting, result files. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../args.ts';
import { absolutePaths, decodeResult, encodeResult, readResult, removeStaleTemps, resultFileOf, writeResult, type CaseJob } from './jobs.ts';
import { COORDINATOR_FLAGS, coordinatorOptions, withoutQueueFlags } from './options.ts';
import { parseQueueUrl } from './url.ts';

describe('--queue URL', () => {
  it('reads host, port, queue name, credentials and db', () => {
    expect(parseQueueUrl('redis://10.0.0.5:6380/synth-1')).toMatchObject({ host: '10.0.0.5', port: 6380, name: 'synth-1', db: 0 });
    const a = parseQueueUrl('redis://me:s%40cret@redis.local/q?db=2');
    expect(a).toMatchObject({ host: 'redis.local', port: 6379, username: 'me', password: 's@cret', name: 'q', db: 2 });
    expect(a.display).not.toContain('cret');
  });
  it('refuses what is not a redis URL naming a queue, saying what is expected', () => {
    expect(() => parseQueueUrl('localhost:6379/q')).toThrow(/only redis:\/\//);
    expect(() => parseQueueUrl('redis://localhost:6379')).toThrow(/names no queue: add \/NAME/);
    expect(() => parseQueueUrl('redis://localhost/a:b')).toThrow(/queue name 'a:b'/);
    expect(() => parseQueueUrl('redis://localhost/q?db=x')).toThrow(/db must be/);
    expect(() => parseQueueUrl('redis://localhost/q?lock=1')).toThrow(/unknown URL parameter 'lock'/);
  });
});

describe('coordinator argv', () => {
  it('config.json records the argv of the same run without --queue, and queue-only flags need --queue', () => {
    const argv = ['--out', 'o', '--queue', 'redis://h/q', '--attempts=5', '--seed', '3', '--poll-ms', '10'];
    expect(withoutQueueFlags(argv)).toEqual(['--out', 'o', '--seed', '3']);
    const spec = { ...COORDINATOR_FLAGS, out: { type: 'string' }, seed: { type: 'string' } } as const;
    expect(coordinatorOptions(parseArgs(argv, spec, 't'))).toMatchObject({ attempts: 5, backoffMs: 2000, pollMs: 10, address: { name: 'q' } });
    expect(coordinatorOptions(parseArgs(['--out', 'o'], spec, 't'))).toBeUndefined();
    expect(() => coordinatorOptions(parseArgs(['--attempts', '2'], spec, 't'))).toThrow(/--attempts needs --queue/);
  });
  it('path flags become absolute for workers in other directories; other values are kept', () => {
    const abs = absolutePaths(['--out', 'o', '--manifest=m.json', '--seed', '3', '--manifest', '/x/n.json'], ['out', 'manifest'], (p) => (p.startsWith('/') ? p : `/cwd/${p}`));
    expect(abs).toEqual(['--out', '/cwd/o', '--manifest=/cwd/m.json', '--seed', '3', '--manifest', '/x/n.json']);
  });
});

describe('result files', () => {
  it('keep NaN and ±Infinity (metrics) through JSON', () => {
    const v = { dice: NaN, fp: Infinity, low: -Infinity, n: [1, NaN], s: 'NaN', o: { $number: 1 } };
    expect(decodeResult(encodeResult(v))).toEqual(v);
  });
  it('count as done only for the same case hash; a killed writer’s temporary files are swept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ftw-results-'));
    try {
      const job = { kind: 'cache', caseId: 'demo/a', caseHash: 'h1', resultFile: resultFileOf(dir, 'demo/a', 'h1') } as CaseJob;
      expect(job.resultFile).toBe(join(dir, '.queue', 'demo_a-h1.json'));
      expect(await readResult(job.resultFile, 'h1')).toBeNull();
      await writeResult(job, { built: true });
      expect(await readResult(job.resultFile, 'h1')).toMatchObject({ caseId: 'demo/a', result: { built: true } });
      expect(await readResult(job.resultFile, 'h2')).toBeNull();
      await writeFile(job.resultFile, '{"caseHash":"h1", torn');
      expect(await readResult(job.resultFile, 'h1')).toBeNull();
      await writeFile(join(dir, '.a.nii.gz.1234.0badc0de.tmp'), 'x');
      await writeFile(join(dir, 'keep.tmp'), 'x');
      expect(await removeStaleTemps([dir, join(dir, 'missing')])).toBe(1);
      expect((await readdir(dir)).sort()).toEqual(['.queue', 'keep.tmp']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
