import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, zipStore } from './zip.ts';

// adm-zip ships with dcmjs (no types): an independent reader for what we write.
const AdmZip = createRequire(import.meta.url)('adm-zip') as new (data: Buffer) => {
  getEntries(): { entryName: string; header: { method: number; crc: number; time: Date }; getData(): Buffer }[];
};

const enc = new TextEncoder();
const FILES = [
  { name: 'synthetic/synthetic_0001.dcm', bytes: Uint8Array.from({ length: 70001 }, (_, n) => (n * 31 + (n >> 7)) & 0xff) },
  { name: 'seg/Leber-Tumor ä ü.dcm', bytes: enc.encode('DICM and more') },
  { name: 'empty.txt', bytes: new Uint8Array(0) },
];

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('zipStore', () => {
  it('reads back with adm-zip: names (UTF-8), contents, CRCs, stored method, fixed time', () => {
    const zip = new AdmZip(Buffer.from(zipStore(FILES)));
    const entries = zip.getEntries();
    expect(entries.map((e) => e.entryName)).toEqual(FILES.map((f) => f.name));
    entries.forEach((e, n) => {
      expect(e.header.method).toBe(0);
      expect(e.header.crc >>> 0).toBe(crc32(FILES[n].bytes));
      expect(Buffer.compare(e.getData(), Buffer.from(FILES[n].bytes))).toBe(0);
      expect([e.header.time.getFullYear(), e.header.time.getMonth(), e.header.time.getDate()]).toEqual([1980, 0, 1]);
    });
  });

  it('is reproducible and sized as a stored archive', () => {
    const a = zipStore(FILES);
    expect(Buffer.from(a).equals(Buffer.from(zipStore(FILES)))).toBe(true);
    const names = FILES.reduce((n, f) => n + enc.encode(f.name).length, 0);
    const data = FILES.reduce((n, f) => n + f.bytes.length, 0);
    expect(a.length).toBe(FILES.length * (30 + 46) + 2 * names + data + 22);
  });

  it('passes unzip -t (Info-ZIP) when it is installed', () => {
    let hasUnzip = true;
    try {
      execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    } catch {
      hasUnzip = false;
    }
    if (!hasUnzip) {
      console.warn('SKIPPED unzip -t check: no unzip on PATH');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ftw-zip-'));
    try {
      const path = join(dir, 'out.zip');
      writeFileSync(path, zipStore(FILES));
      const out = execFileSync('unzip', ['-t', path], { encoding: 'utf8' });
      expect(out).toMatch(/No errors detected/);
      const list = execFileSync('unzip', ['-Z1', path], { encoding: 'utf8' }).trim().split('\n');
      expect(list).toEqual(FILES.map((f) => f.name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes an empty archive and refuses bad or duplicate names', () => {
    expect(new AdmZip(Buffer.from(zipStore([]))).getEntries()).toEqual([]);
    for (const name of ['', '/abs.dcm', '../up.dcm', 'a\\b.dcm', 'a//b']) expect(() => zipStore([{ name, bytes: new Uint8Array(1) }])).toThrow(/invalid entry name/);
    expect(() => zipStore([FILES[2], FILES[2]])).toThrow(/duplicate entry name 'empty.txt'/);
  });
});
