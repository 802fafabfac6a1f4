import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import type { Plugin, PreviewServer, ViteDevServer } from 'vite';
import react from '@vitejs/plugin-react';
import { NODE_BACKEND_ADVICE } from './src/node/tfjsAdvice.ts';
import { DEMO_CT, DEMO_SEG, firstMissing, TS_EXAMPLE_DIR } from './src/node/sharedData.ts';
import { TS_SAMPLE } from './src/core/totalSegmentatorSample.ts';

// FTW_PORT moves the dev server (a second checkout's tests beside a running one); FTW_NO_HMR keeps
// a test run's page from reloading while files are being edited.
const port = Number(process.env.FTW_PORT ?? 5173);

/**
 * Content-Security-Policy: the page and its workers may load and contact only their own origin, so
 * "files stay on this machine" holds even if a dependency tried to phone home. blob: is how opened
 * files, downloads and niivue's volumes travel; data: is for images and fonts embedded in code;
 * 'wasm-unsafe-eval' lets the DICOM worker compile dcm2niix's WebAssembly (no JS eval is allowed).
 * The one exception is connect-src's two exact file URLs of the TotalSegmentator sample, fetched
 * only when the user asks for it ("Open the TotalSegmentator sample"): a download, nothing sent.
 * e2e/privacy.spec.ts holds every directive to this list of sources.
 */
const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'", 'blob:'],
  'connect-src': ["'self'", 'blob:', 'data:', TS_SAMPLE.image.url, TS_SAMPLE.labels.url],
  'img-src': ["'self'", 'blob:', 'data:'],
  'font-src': ["'self'", 'data:'],
  'style-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'none'"],
};

/**
 * Cross-origin isolation, so the page and its workers get SharedArrayBuffer and the cpu kernels
 * can run on every core (WebAssembly threads; src/app/compute/kernelThreads.ts). require-corp
 * rather than credentialless: every browser with SharedArrayBuffer supports it (Safari has no
 * credentialless), and it costs nothing here: the app loads nothing cross-origin but the
 * TotalSegmentator sample, a CORS-mode fetch (src/app/demo/sampleDownload.ts) that must already be
 * answered with Access-Control-Allow-Origin to be readable at all, and COEP lets any CORS response
 * through without a Cross-Origin-Resource-Policy header (e2e/phantomDemo.spec.ts opens it).
 * Worker scripts need the headers as much as the page (a worker takes them from its own
 * response). docs/deployment.md says what a host serving dist/ must send.
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/** The dev and preview servers' CSP report endpoint (page and workers): printed, and kept for e2e. */
const CSP_REPORT_PATH = '/__csp-report';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
/**
 * Dev only: React refresh's preamble is an inline module script that plugin-react writes into
 * index.html. It is allowed by its hash rather than by 'unsafe-inline', so no other inline script
 * runs even in dev; `checkInlineScripts` below fails loudly should the preamble ever change.
 */
const DEV_INLINE_SCRIPTS = [react.preambleCode.replace('__BASE__', '/')];

/** `header`: what the dev and preview servers send; `meta`: what index.html carries. */
function contentSecurityPolicy(dev: boolean, delivery: 'header' | 'meta'): string {
  const d = Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([k, v]) => [k, [...v]]));
  if (dev) {
    d['script-src'].push(...DEV_INLINE_SCRIPTS.map(sha256));
    // Vite's dev client injects every CSS module as a <style> element; the build links .css files.
    d['style-src'].push("'unsafe-inline'");
  }
  // A <meta> policy cannot carry either (the browser ignores them there): forbidding framing needs
  // the header, which a static host has to send itself.
  if (delivery === 'header') {
    d['frame-ancestors'] = ["'none'"];
    d['report-uri'] = [CSP_REPORT_PATH];
  }
  return Object.entries(d).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
}

/**
 * The policy as a <meta> tag in index.html (dev and build), and the report endpoint on the dev and
 * preview servers. A meta policy binds the page only: a worker takes the policy sent with its own
 * script, which is why the servers send the header on every response.
 */
function cspPlugin(): Plugin {
  let dev = false;
  const reports: unknown[] = [];
  const collectReports = (server: ViteDevServer | PreviewServer) => {
    server.middlewares.use(CSP_REPORT_PATH, (req, res) => {
      if (req.method === 'GET') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(reports));
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body = (body + c.toString()).slice(0, 16_384)));
      req.on('end', () => {
        let report: Record<string, unknown> = { body };
        try {
          report = (JSON.parse(body) as { 'csp-report'?: Record<string, unknown> })['csp-report'] ?? report;
        } catch {
          // Not JSON: kept as the text that came.
        }
        // Bounded, for a dev server left running for days.
        if (reports.length < 1000) reports.push(report);
        const r = report as Record<string, string | number | undefined>;
        const where = r['source-file'] ? ` at ${r['source-file']}:${r['line-number']}` : '';
        server.config.logger.warn(`[csp] ${r['effective-directive'] ?? r['violated-directive'] ?? 'violation'} blocked ${r['blocked-uri'] ?? body} in ${r['document-uri']}${where}`, { timestamp: true });
        res.statusCode = 204;
        res.end();
      });
    });
  };
  return {
    name: 'ftw:csp',
    configResolved(config) {
      // The preview server serves the built index.html as it is; only dev and build transform it.
      dev = config.command === 'serve';
    },
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        if (dev) checkInlineScripts(html);
        const meta = `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(dev, 'meta')}" />`;
        // Right after <meta charset>, which must stay within the first 1024 bytes; before any
        // script of the build (in dev, vite's own scripts come first and the header covers them).
        const charset = /<meta\s+charset=[^>]*>/i;
        return charset.test(html) ? html.replace(charset, (m) => `${m}\n    ${meta}`) : html.replace(/<head>/i, `<head>\n    ${meta}`);
      },
    },
    configureServer: collectReports,
    configurePreviewServer: collectReports,
  };
}

/**
 * The real demo case is third-party data kept in ../shared/data, not in public/: the dev and preview
 * servers serve it at /demo/ when it is beside the checkout, so `npm run build` never copies it.
 * /demo/demo.json tells the page whether it is there (200 either way, so the page's probe raises no
 * console error); without it the page starts on the generated phantom (src/app/demoCase.ts).
 */
function sharedDemoPlugin(): Plugin {
  const files: Record<string, string> = { [TS_SAMPLE.image.name]: DEMO_CT, [TS_SAMPLE.labels.name]: DEMO_SEG };
  const serve = (server: ViteDevServer | PreviewServer) => {
    const base = server.config.base.replace(/\/?$/, '/');
    server.middlewares.use(`${base}demo/`, (req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      const name = decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\//, ''));
      const missing = firstMissing(Object.values(files));
      if (name === 'demo.json') {
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Cache-Control', 'no-store');
        res.end(JSON.stringify(missing ? { source: null, reason: `not found: ${missing}` } : { source: 'totalsegmentator', image: TS_SAMPLE.image.name, labels: TS_SAMPLE.labels.name }));
        return;
      }
      const path = files[name];
      if (!path) return next();
      if (missing) {
        res.statusCode = 404;
        res.end(`the TotalSegmentator example is not beside the checkout (${TS_EXAMPLE_DIR})`);
        return;
      }
      res.setHeader('Content-Type', 'application/gzip');
      res.setHeader('Content-Length', String(statSync(path).size));
      res.setHeader('Cache-Control', 'no-cache');
      if (req.method === 'HEAD') return void res.end();
      createReadStream(path).pipe(res);
    });
  };
  return { name: 'ftw:shared-demo', configureServer: serve, configurePreviewServer: serve };
}

/** Any inline script the policy does not hash would be blocked in dev: say which, at once. */
function checkInlineScripts(html: string): void {
  const allowed = new Set(DEV_INLINE_SCRIPTS.map(sha256));
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    if (/\bsrc=/.test(m[1]) || !m[2].trim()) continue;
    if (!allowed.has(sha256(m[2]))) throw new Error(`index.html has an inline script the dev CSP does not allow (add its text to DEV_INLINE_SCRIPTS):\n${m[2]}`);
  }
}

export default defineConfig({
  plugins: [react(), cspPlugin(), sharedDemoPlugin()],
  resolve: {
    // dcm2niix's WASM build (OpenJPEG + CharLS) is not in @niivue/dcm2niix's "exports"; the DICOM
    // worker imports its Emscripten module and .wasm by file through this alias.
    alias: { 'dcm2niix-wasm': fileURLToPath(new URL('./node_modules/@niivue/dcm2niix/dist', import.meta.url)) },
  },
  server: {
    host: '127.0.0.1',
    port,
    strictPort: true,
    hmr: process.env.FTW_NO_HMR ? false : undefined,
    headers: { 'Content-Security-Policy': contentSecurityPolicy(true, 'header'), ...ISOLATION_HEADERS },
  },
  preview: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    headers: { 'Content-Security-Policy': contentSecurityPolicy(false, 'header'), ...ISOLATION_HEADERS },
  },
  worker: { format: 'es' },
  // Pre-bundle the heavy dependencies up front: if the dev server discovers one mid-session it
  // re-optimises and reloads the page, which breaks a running e2e test.
  optimizeDeps: {
    include: [
      'react',
      'react/jsx-runtime',
      'react/jsx-dev-runtime',
      'react-dom',
      'react-dom/client',
      'zustand',
      '@niivue/niivue',
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-webgpu',
      // Reached only from workers (DICOM, synthesis, lab), so discovered late without this.
      'dcmjs',
    ],
    // Served as is: pre-bundling would move the module away from the .wasm it locates.
    exclude: ['dcm2niix-wasm'],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // Relaxed-SIMD FMA on as in the CLI (Node 20 needs a V8 flag set before the kernels compile).
    // FREETUMOR_THREADS=N runs the cpu conv kernels on N threads in every test file.
    setupFiles: ['src/node/testing/relaxedSimd.setup.ts', 'src/node/testing/kernelThreads.setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more workers only fight over them.
    maxWorkers: 2,
    // Tests that call tf.setBackend('cpu') themselves get tfjs's "install tfjs-node" banner, which
    // the project's own backend setup silences (src/node/tfjsAdvice.ts); drop just that line.
    onConsoleLog: (log) => !NODE_BACKEND_ADVICE.test(log),
  },
});
