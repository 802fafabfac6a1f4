/**
 * tfjs belongs in the Web Workers (compute, quality lab, reader study), never in the page: it is
 * large, has side effects at import (backend registration), so it cannot be tree-shaken, and a
 * page that loads it starts slower for every user. This walks the page's static value imports from
 * src/app/main.tsx (type-only imports are erased; workers are started by URL, not imported) and
 * fails if any reaches @tensorflow.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The value imports of a module: `import type …` and imports of only `type` names are dropped, as the compiler does. */
export function valueImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /(import|export)\s+(type\s+)?([^'"`;]*?)\s*from\s*['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]/g;
  for (let m; (m = re.exec(code)); ) {
    if (m[5]) {
      out.push(m[5]);
      continue;
    }
    if (m[2]) continue;
    const clause = m[3].trim();
    const braces = /^\{([\s\S]*)\}$/.exec(clause);
    if (braces && braces[1].split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '))) continue;
    out.push(m[4]);
  }
  return out;
}

/** Every module the page loads from `entry`, with the chain that reached each bare package. */
export function pagePackages(entry: string, read: (path: string) => string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const queue: { path: string; chain: string[] }[] = [{ path: entry, chain: [entry] }];
  while (queue.length) {
    const { path, chain } = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const spec of valueImports(read(path))) {
      if (spec.startsWith('.')) {
        const target = relative('.', resolve(dirname(path), spec)).replace(/\\/g, '/');
        if (/\.(css|svg|png|json)$/.test(target)) continue;
        queue.push({ path: target, chain: [...chain, target] });
      } else if (!packages.has(spec)) packages.set(spec, chain);
    }
  }
  return packages;
}

describe('the page bundle', () => {
  it('reaches no @tensorflow package from src/app/main.tsx', () => {
    const packages = pagePackages('src/app/main.tsx', (p) => readFileSync(p, 'utf8'));
    expect(packages.has('react')).toBe(true);
    expect(packages.has('@niivue/niivue')).toBe(true);
    const tf = [...packages].filter(([p]) => p.startsWith('@tensorflow/')).map(([p, chain]) => `${p} via ${chain.join(' → ')}`);
    expect(tf).toEqual([]);
  });

  it('sees a value import as one and ignores type-only ones (so the check above can fail)', () => {
    expect(valueImports(`import * as tf from '@tensorflow/tfjs';`)).toEqual(['@tensorflow/tfjs']);
    expect(valueImports(`import { a, type B } from './x.ts';`)).toEqual(['./x.ts']);
    expect(valueImports(`import type { A } from './x.ts';\nimport { type B } from './y.ts';`)).toEqual([]);
    expect(valueImports(`export { C } from './z.ts';\nimport './side.css';`)).toEqual(['./z.ts', './side.css']);
    const files: Record<string, string> = { 'a.ts': `import { f } from './b.ts';`, 'b.ts': `export { g } from './c.ts';`, 'c.ts': `import * as tf from '@tensorflow/tfjs';` };
    expect(pagePackages('a.ts', (p) => files[p]).get('@tensorflow/tfjs')).toEqual(['a.ts', 'b.ts', 'c.ts']);
  });
});
