/**
 * The architecture rule: app and node → models → core, never back. core is pure TypeScript
 * (no DOM, no tfjs, no Node built-ins) so the browser and the Node worker share it byte for byte;
 * models is shared too, so it may not reach Node built-ins or the DOM.
 * Test files are exempt: a test may import a Node-only harness (e.g. the Dawn backend) to drive
 * shared code on a backend, which does not make the shared code depend on it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

type Layer = 'core' | 'models' | 'app' | 'node';
const ALLOWED_LAYERS: Record<Layer, Layer[]> = {
  core: ['core'],
  models: ['models', 'core'],
  app: ['app', 'models', 'core'],
  node: ['node', 'models', 'core'],
};
/** Bare package imports allowed per layer (prefix match); '*' = any. */
const ALLOWED_PACKAGES: Record<Layer, string[]> = {
  // dcmjs is a pure-JavaScript DICOM codec (no DOM, no Node built-ins): DICOM parsing and
  // writing are data logic both entry points share, like NIfTI. dcm2niix's WASM is injected.
  core: ['dcmjs'],
  models: ['@tensorflow/'],
  app: ['*'],
  node: ['*'],
};
const DOM_GLOBALS = /\b(document|window|localStorage|indexedDB|HTMLElement|HTMLCanvasElement)\s*[.[(]/;

export interface SourceFile {
  path: string; // relative to the repo root, e.g. src/core/volume.ts
  text: string;
}

function layerOf(path: string): Layer | null {
  const m = /^src\/(core|models|app|node)\//.exec(path);
  return m ? (m[1] as Layer) : null;
}

function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const re = /(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (let m; (m = re.exec(code)); ) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

export function layerViolations(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const layer = layerOf(f.path);
    if (!layer || /\.test\.tsx?$/.test(f.path)) continue;
    for (const spec of importSpecifiers(f.text)) {
      if (spec.startsWith('.')) {
        const target = relative('.', resolve(dirname(f.path), spec)).replace(/\\/g, '/');
        const tl = layerOf(target);
        if (tl && !ALLOWED_LAYERS[layer].includes(tl)) problems.push(`${f.path} imports ${spec} (${layer} → ${tl})`);
        if (!tl && target.startsWith('src/')) problems.push(`${f.path} imports ${spec} outside the four layers`);
        continue;
      }
      const allowed = ALLOWED_PACKAGES[layer];
      if (allowed.includes('*')) {
        if (layer === 'app' && spec.startsWith('node:')) problems.push(`${f.path} imports ${spec} (Node built-in in the browser app)`);
        continue;
      }
      if (!allowed.some((p) => spec.startsWith(p))) problems.push(`${f.path} imports package ${spec} (not allowed in ${layer})`);
    }
    if (layer === 'core' || layer === 'models') {
      // Comments and string literals out: an import of '../window.ts' is not the DOM's window.
      const code = f.text
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, "''");
      if (DOM_GLOBALS.test(code)) problems.push(`${f.path} uses a DOM global (${layer} must run in Node and workers)`);
    }
  }
  return problems;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(p);
  }
  return out;
}

describe('layering', () => {
  it('the source tree imports only downward: app/node → models → core', () => {
    const root = resolve(__dirname, '..');
    const files = walk(join(root, 'src')).map((p) => ({
      path: relative(root, p).replace(/\\/g, '/'),
      text: readFileSync(p, 'utf8'),
    }));
    expect(files.length).toBeGreaterThan(3);
    expect(layerViolations(files)).toEqual([]);
  });

  it('catches each kind of violation', () => {
    const bad: SourceFile[] = [
      { path: 'src/core/a.ts', text: "import * as tf from '@tensorflow/tfjs';" },
      { path: 'src/core/b.ts', text: "import { x } from '../models/unet.ts';" },
      { path: 'src/core/c.ts', text: "import { readFileSync } from 'node:fs';" },
      { path: 'src/core/d.ts', text: 'export const w = () => document.createElement("canvas");' },
      { path: 'src/models/e.ts', text: "export { y } from '../app/store.ts';" },
      { path: 'src/models/f.ts', text: "const m = await import('../node/backend.ts');" },
      { path: 'src/models/g.ts', text: "import 'react';" },
      { path: 'src/app/h.ts', text: "import { z } from '../node/cli.ts';" },
      { path: 'src/node/i.ts', text: "import { App } from '../app/App.tsx';" },
      { path: 'src/app/j.ts', text: "import fs from 'node:fs';" },
    ];
    const found = layerViolations(bad);
    for (const f of bad) expect(found.some((p) => p.startsWith(f.path))).toBe(true);
    const good: SourceFile[] = [
      { path: 'src/models/k.ts', text: "import * as tf from '@tensorflow/tfjs';\nimport { v } from '../core/volume.ts';" },
      { path: 'src/node/l.ts', text: "import { m } from '../models/index.ts';\nimport { readFile } from 'node:fs/promises';" },
      { path: 'src/app/m.tsx', text: "import { create } from 'zustand';\nimport { c } from '../core/labels.ts';" },
      { path: 'src/core/n.ts', text: '// document.body is never touched here\nexport const n = 1;' },
      { path: 'src/core/o.ts', text: "import { windowToUnit } from './window.ts';\nconst s = \"window.open\";" },
    ];
    expect(layerViolations(good)).toEqual([]);
  });
});
