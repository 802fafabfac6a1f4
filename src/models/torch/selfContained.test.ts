/**
 * The reader must load in a page-free Web Worker without tfjs: its sources import only each other
 * (no packages, no node: built-ins, nothing outside this folder).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('src/models/torch', () => {
  it('imports nothing outside its own folder', () => {
    const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources).toContain('index.ts');
    const foreign: string[] = [];
    for (const f of sources) {
      const text = readFileSync(join(here, f), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) if (!/^\.\/[\w.]+$/.test(m[1])) foreign.push(`${f}: ${m[1]}`);
    }
    expect(foreign).toEqual([]);
  });
});
