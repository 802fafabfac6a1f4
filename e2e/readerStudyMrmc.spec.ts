/**
 * Issue 18: the MRMC analysis on the results page, end to end. A 12-item study (6 real, 6
 * synthetic: 3 passing and 3 failing the quality test) is imported as a file, its hash-stamped
 * protocol is exported before anyone reads, then 3 readers answer every item from the keyboard.
 * The results page's MRMC table must equal what this test recomputes from the exported answers
 * CSV alone (AUC, accuracy, sensitivity, specificity; random readers and cases, fixed readers,
 * fixed cases), the iMRMC and RJafroc exports must hold the same scores, and the Prepare page's
 * sample-size panel must take this study as its pilot.
 *
 * MECHANICS TEST, NOT DATA: the items are 16³ blocks written here; "real" and "synthetic" are
 * labels of this test. The recomputation is this file's own (DeLong components, OR covariances,
 * Hillis df, and t / normal tails by double-exponential quadrature), not the app's code.
 */
import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ARTIFACTS } from './helpers/app.ts';
import { parseCsv } from './helpers/csv.ts';

const N = 16;

/** A 16³ int16 NIfTI-1 block, texture from `seed` (the item's look is irrelevant here). */
function crop(seed: number): Uint8Array {
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  [3, N, N, N, 1, 1, 1, 1].forEach((d, n) => header.writeInt16LE(d, 40 + 2 * n));
  header.writeInt16LE(4, 70); // int16
  header.writeInt16LE(16, 72);
  [1, 1, 1, 1, 1, 1, 1, 1].forEach((p, n) => header.writeFloatLE(p, 76 + 4 * n));
  header.writeFloatLE(352, 108);
  header.writeFloatLE(1, 112);
  header.writeInt16LE(1, 254); // sform
  [[1, 0, 0, -8], [0, 1, 0, -8], [0, 0, 1, -8]].forEach((row, r) => row.forEach((v, c) => header.writeFloatLE(v, 280 + 16 * r + 4 * c)));
  header.write('n+1\0', 344, 'latin1');
  const data = Buffer.alloc(2 * N ** 3);
  for (let v = 0; v < N ** 3; v++) data.writeInt16LE(40 + ((v * 7 + seed * 13) % 60), 2 * v);
  return new Uint8Array(gzipSync(Buffer.concat([header, data])));
}

// Reading order: R real, P synthetic passing, F synthetic failing the quality test.
const KINDS = 'RPRFRPFRRPFR';
const ITEMS = [...KINDS].map((kind, n) => {
  const id = `item-${String(n + 1).padStart(2, '0')}`;
  const truth = kind === 'R' ? 'real' : 'synthetic';
  return {
    id,
    crop: crop(n),
    key: {
      itemId: id,
      truth,
      organ: 'liver',
      sizeClass: 'small',
      provenance: truth === 'real' ? 'mechanics-test' : 'synthetic-generator',
      caseName: 'e2e-block',
      centreVoxel: [8, 8, 8],
      volumeMm3: 500,
      quality: truth === 'real' ? { p: null, pass: null, note: 'n/a' } : { p: kind === 'P' ? 0.8 : 0.2, pass: kind === 'P', note: '', threshold: 0.5 },
    },
  };
});
const STUDY_ID = 'rs-e2e-mrmc';
const HEX = (c: string) => c.repeat(64);
const STUDY = {
  format: 'freetumor-reader-study',
  version: 1,
  id: STUDY_ID,
  title: 'MRMC e2e (mechanics test)',
  createdAt: '2026-01-01T00:00:00.000Z',
  seed: 18,
  cropVoxels: N,
  window: { width: 400, level: 40 },
  mechanicsTest: true,
  items: ITEMS.map((it) => ({ id: it.id, crop: Buffer.from(it.crop).toString('base64') })),
  key: ITEMS.map((it) => it.key),
  synthesis: {
    method: 'generator',
    threshold: 0.5,
    models: {
      generator: { fileName: 'g.safetensors', sha256: HEX('a'), networkName: 'tgan', step: 1 },
      segmentor: { fileName: 's.safetensors', sha256: HEX('b'), networkName: 'unet', step: 1 },
    },
    mix: 'balanced',
    requested: { total: 6, pass: 3, fail: 3 },
    got: { pass: 3, fail: 3, notTested: 0 },
    attempts: 6,
    maxAttempts: 6,
    report: 'balanced: asked 3 passing + 3 failing, got 3 + 3 after 6 of at most 6 candidates',
  },
};

// Each reader's call (S synthetic / R real) and confidence per item, in reading order.
const READERS: { id: string; calls: string; conf: number[] }[] = [
  { id: 'R1', calls: 'RSRSSSRRRSRR', conf: [4, 3, 5, 2, 1, 4, 3, 2, 5, 4, 3, 2] },
  { id: 'R2', calls: 'SSRRRSSRSRSR', conf: [2, 4, 3, 3, 4, 5, 1, 4, 2, 3, 2, 5] },
  { id: 'R3', calls: 'RRRSRSSSRSSR', conf: [3, 2, 4, 4, 5, 3, 2, 3, 3, 5, 1, 4] },
];

// ---- The recomputation: this file's own statistics. ----

/** ∫_a^b f by tanh-sinh quadrature (exact to ~1e-14 even with endpoint singularities). */
function integrate(f: (x: number) => number, a: number, b: number): number {
  const h = 1 / 64;
  let sum = 0;
  for (let k = -6 * 64; k <= 6 * 64; k++) {
    const t = k * h;
    const u = (Math.PI / 2) * Math.sinh(t);
    const x = Math.tanh(u);
    const w = ((Math.PI / 2) * Math.cosh(t)) / Math.cosh(u) ** 2;
    const at = (a + b) / 2 + ((b - a) / 2) * x;
    if (at <= a || at >= b) continue;
    sum += w * f(at);
  }
  return sum * h * ((b - a) / 2);
}

/** Two-sided tail P(|T| ≥ |t|) of Student t with ν df (x = √ν·tan θ turns it into ∫ cos^(ν−1)); ν = ∞: normal. */
function twoSided(t: number, nu: number): number {
  if (nu === Infinity) {
    // x = |t| + u/(1 − u) maps [0, 1) onto [|t|, ∞).
    const tail = integrate((u) => Math.exp(-((Math.abs(t) + u / (1 - u)) ** 2) / 2) / (1 - u) ** 2, 0, 1);
    return (2 * tail) / Math.sqrt(2 * Math.PI);
  }
  const g = (th: number) => Math.cos(th) ** (nu - 1);
  return integrate(g, Math.atan(Math.abs(t) / Math.sqrt(nu)), Math.PI / 2) / integrate(g, 0, Math.PI / 2);
}

/** t with P(|T| ≥ t) = 0.05, by bisection. */
function t975(nu: number): number {
  if (nu === Infinity) return 1.959963984540054;
  let lo = 0;
  let hi = 1000;
  for (let n = 0; n < 200; n++) {
    const mid = (lo + hi) / 2;
    if (twoSided(mid, nu) > 0.05) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

type Row = Record<string, string>;


interface Expected {
  est: number;
  se: number;
  df: number;
  lo: number;
  hi: number;
  t?: number;
  p?: number;
}

/**
 * Single-modality ORH of one FOM from per-reader structural components: θ_r = wP·mean(P_r) +
 * wN·mean(N_r) to first order; DeLong covariances (n − 1 denominators, divided by n).
 */
function orhFromCsv(rows: Row[], fom: 'auc' | 'accuracy' | 'sensitivity' | 'specificity'): Record<'RRRC' | 'FRRC' | 'RRFC', Expected> {
  const readers = [...new Set(rows.map((r) => r.reader_id))].sort();
  const items = [...new Set(rows.map((r) => r.item_id))].sort();
  const truth = new Map(rows.map((r) => [r.item_id, r.truth]));
  const posItems = items.filter((i) => truth.get(i) === 'synthetic');
  const negItems = items.filter((i) => truth.get(i) === 'real');
  const n1 = posItems.length;
  const n0 = negItems.length;
  const score = (r: string, i: string) => Number(rows.find((x) => x.reader_id === r && x.item_id === i)!.synthetic_score);
  const comps = readers.map((r) => {
    const pos = posItems.map((i) => score(r, i));
    const neg = negItems.map((i) => score(r, i));
    const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
    if (fom === 'auc') {
      const P = pos.map((x) => neg.reduce((s, y) => s + psi(x, y), 0) / n0);
      const Nn = neg.map((y) => pos.reduce((s, x) => s + psi(x, y), 0) / n1);
      return { theta: P.reduce((a, b) => a + b, 0) / n1, P, N: Nn, wP: 1, wN: 1 };
    }
    const P: number[] = pos.map((x) => (x >= 6 ? 1 : 0));
    const Nn: number[] = neg.map((y) => (y < 6 ? 1 : 0));
    const sens = P.reduce((a, b) => a + b, 0) / n1;
    const spec = Nn.reduce((a, b) => a + b, 0) / n0;
    if (fom === 'sensitivity') return { theta: sens, P, N: Nn, wP: 1, wN: 0 };
    if (fom === 'specificity') return { theta: spec, P, N: Nn, wP: 0, wN: 1 };
    return { theta: (n1 * sens + n0 * spec) / (n1 + n0), P, N: Nn, wP: n1 / (n1 + n0), wN: n0 / (n1 + n0) };
  });
  const cov = (a: (typeof comps)[number], b: (typeof comps)[number]) => {
    const part = (x: number[], y: number[]) => {
      const mx = x.reduce((s, v) => s + v, 0) / x.length;
      const my = y.reduce((s, v) => s + v, 0) / y.length;
      return x.reduce((s, v, k) => s + (v - mx) * (y[k] - my), 0) / (x.length - 1) / x.length;
    };
    return a.wP * b.wP * part(a.P, b.P) + a.wN * b.wN * part(a.N, b.N);
  };
  const r = readers.length;
  const theta = comps.map((c) => c.theta);
  const mean = theta.reduce((a, b) => a + b, 0) / r;
  const msR = theta.reduce((s, x) => s + (x - mean) ** 2, 0) / (r - 1);
  let v = 0;
  let c2 = 0;
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) (a === b ? (v += cov(comps[a], comps[b])) : (c2 += cov(comps[a], comps[b])));
  v /= r;
  c2 /= r * (r - 1);
  const c2p = Math.max(c2, 0);
  const make = (se: number, df: number): Expected => {
    const q = t975(df);
    const t = (mean - 0.5) / se;
    // A FOM's interval is cut at 0 and 1.
    return { est: mean, se, df, lo: Math.max(0, mean - q * se), hi: Math.min(1, mean + q * se), t, p: twoSided(t, df) };
  };
  return {
    RRRC: make(Math.sqrt((msR + r * c2p) / r), (msR + r * c2p) ** 2 / (msR ** 2 / (r - 1))),
    FRRC: make(Math.sqrt((v + (r - 1) * c2p) / r), Infinity),
    RRFC: make(Math.sqrt(msR / r), r - 1),
  };
}

/** Readers fixed: SE² = (Var + (r − 1)·max(Cov2, 0))/r from leave-one-item-out AUCs. */
function jackknifeFrrcSe(rows: Row[]): number {
  const readers = [...new Set(rows.map((r) => r.reader_id))].sort();
  const items = [...new Set(rows.map((r) => r.item_id))].sort();
  const auc = (r: string, without: string | null) => {
    const mine = rows.filter((x) => x.reader_id === r && x.item_id !== without);
    const pos = mine.filter((x) => x.truth === 'synthetic').map((x) => Number(x.synthetic_score));
    const neg = mine.filter((x) => x.truth === 'real').map((x) => Number(x.synthetic_score));
    let s = 0;
    for (const x of pos) for (const y of neg) s += x > y ? 1 : x === y ? 0.5 : 0;
    return s / (pos.length * neg.length);
  };
  const K = items.length;
  const loo = readers.map((r) => items.map((i) => auc(r, i)));
  const m = loo.map((row) => row.reduce((a, b) => a + b, 0) / K);
  const cov = (a: number, b: number) => ((K - 1) / K) * loo[a].reduce((s, x, k) => s + (x - m[a]) * (loo[b][k] - m[b]), 0);
  const r = readers.length;
  let v = 0;
  let c2 = 0;
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) (a === b ? (v += cov(a, b)) : (c2 += cov(a, b)));
  return Math.sqrt((v / r + (r - 1) * Math.max(c2 / (r * (r - 1)), 0)) / r);
}

// ---- The app. ----

async function waitForApp(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__ftw?.isReady() === true, null, { timeout: 90_000 });
}

async function read(page: Page, reader: (typeof READERS)[number]): Promise<void> {
  await page.getByTestId('rs-nav-home').click();
  await page.getByTestId('rs-reader-id').fill(reader.id);
  await page.getByTestId('rs-start').click();
  for (let n = 0; n < ITEMS.length; n++) {
    await expect(page.getByTestId('rs-progress')).toHaveText(`Item ${n + 1} of ${ITEMS.length}`);
    await expect(page.getByTestId('rs-canvas')).toHaveAttribute('data-shown', ITEMS[n].id);
    await page.keyboard.press(reader.calls[n] === 'S' ? 'KeyJ' : 'KeyF');
    await page.keyboard.press(`Digit${reader.conf[n]}`);
    await expect(page.getByTestId('rs-save')).toHaveAttribute('data-state', 'saved');
    await page.keyboard.press('Enter');
  }
  await expect(page.getByTestId('rs-finished')).toBeVisible();
}

async function download(page: Page, testId: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  return readFileSync(await dl.path(), 'utf8');
}

/** Canonical JSON (sorted keys, no spaces), written here to check the protocol's stamp. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

test('MRMC: 3 readers × 12 items; the page\'s ORH table equals the recomputation from the exported CSV', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/', { waitUntil: 'commit' });
  await waitForApp(page);
  await page.getByTestId('open-reader-study').click();
  await page.getByTestId('rs-import-study').setInputFiles({ name: `${STUDY_ID}.study.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(STUDY)) });
  await expect(page.getByTestId('rs-study-items')).toHaveText('12');

  // The protocol, before anyone reads: stamp = SHA-256 of its canonical JSON; key only by hash.
  const protocol = JSON.parse(await download(page, 'rs-export-protocol'));
  const { sha256: stamp, ...body } = protocol;
  expect(stamp).toBe(sha256(canonical(body)));
  await expect(page.getByTestId('rs-protocol-stamp')).toContainText(stamp);
  expect(protocol.answersAtExport).toBe(0);
  expect(protocol.study).toMatchObject({ id: STUDY_ID, seed: 18, items: 12, real: 6, synthetic: 6 });
  expect(protocol.items.map((i: { cropSha256: string }) => i.cropSha256)).toEqual(ITEMS.map((it) => sha256(it.crop)));
  expect(protocol.answerKeySha256).toBe(sha256(canonical(STUDY.key)));
  expect(protocol.synthesis.threshold).toBe(0.5);
  expect(protocol.synthesis.models.generator.sha256).toBe(HEX('a'));
  expect(JSON.stringify(protocol)).not.toContain('"truth"');

  for (const reader of READERS) await read(page, reader);
  await page.getByTestId('rs-to-results').click();
  await expect(page.getByTestId('rs-mrmc')).toBeVisible();

  const csv = parseCsv(await download(page, 'rs-export-csv'));
  expect(csv).toHaveLength(36);
  // Every row's score is the call + confidence the reader gave.
  for (const reader of READERS) {
    const mine = csv.filter((r) => r.reader_id === reader.id).sort((a, b) => Number(a.position) - Number(b.position));
    expect(mine.map((r) => Number(r.synthetic_score))).toEqual(reader.conf.map((c, n) => (reader.calls[n] === 'S' ? 5 + c : 6 - c)));
  }

  const gens = ['RRRC', 'FRRC', 'RRFC'] as const;
  for (const fom of ['auc', 'accuracy', 'sensitivity', 'specificity'] as const) {
    const expected = orhFromCsv(csv, fom);
    for (const g of gens) {
      const row = page.getByTestId(`rs-mrmc-${fom}-${g}`);
      const keys = fom === 'auc' || fom === 'accuracy' ? (['est', 'se', 'df', 'lo', 'hi', 't', 'p'] as const) : (['est', 'se', 'df', 'lo', 'hi'] as const);
      for (const k of keys) {
        const cell = row.locator(`td[data-k="${k}"]`);
        const shown = Number(await cell.getAttribute('data-value'));
        const want = expected[g][k]!;
        if (want === Infinity || Number.isNaN(want)) expect(shown, `${fom} ${g} ${k}`).toBe(want);
        else expect(Math.abs(shown - want), `${fom} ${g} ${k}: page ${shown}, recomputed ${want}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(want)));
      }
      if (keys.length === 7) {
        const F = Number(await row.locator('td[data-k="F"]').getAttribute('data-value'));
        expect(Math.abs(F - expected[g].t! ** 2), `${fom} ${g} F = t²`).toBeLessThan(1e-9 * Math.max(1, F));
      }
      // What the page prints is the recomputed value, rounded.
      await expect(row.locator('td[data-k="est"]')).toHaveText(expected[g].est.toFixed(3));
      await expect(row.locator('td[data-k="lo"]')).toHaveText(expected[g].lo.toFixed(3));
      await expect(row.locator('td[data-k="hi"]')).toHaveText(expected[g].hi.toFixed(3));
    }
  }
  const auc = orhFromCsv(csv, 'auc').RRRC;
  const verdict = page.getByTestId('rs-verdict');
  await expect(verdict).toContainText(`AUC ${auc.est.toFixed(2)}, 95 % CI ${auc.lo.toFixed(2)}–${auc.hi.toFixed(2)}`);
  await expect(verdict).toContainText('3 readers × 12 cases');
  await expect(verdict).toContainText(auc.p! < 0.05 ? 'Readers could distinguish' : 'Readers could not distinguish');
  await expect(verdict).toContainText(/^Mechanics test/);
  // Reader-by-reader ROC plus their average, whose area is the reader-averaged AUC.
  await expect(page.locator('[data-testid="rs-roc"] polyline')).toHaveCount(4);
  await expect(page.getByTestId('rs-roc')).toContainText(`reader average ${auc.est.toFixed(3)}`);
  // Passing vs failing tumours: both groups read by all three readers, 3 synthetic items each.
  await expect(page.getByTestId('rs-mrmc-comparison')).toContainText('Passing (3) vs failing (3)');
  const passedAuc = Number(await page.getByTestId('rs-cmp-AUC-RRRC').locator('td[data-k="a"]').getAttribute('data-value'));
  const passedRows = csv.filter((r) => r.truth === 'real' || r.quality_status === 'passed');
  expect(Math.abs(passedAuc - orhFromCsv(passedRows, 'auc').RRRC.est)).toBeLessThan(1e-12);

  // Jackknife covariances on request: the AUC stays, the fixed-reader SE is the jackknife's.
  await page.getByTestId('rs-mrmc-covariance').selectOption('jackknife');
  await expect(page.getByTestId('rs-mrmc')).toContainText('jackknife covariances');
  const jkRow = page.getByTestId('rs-mrmc-auc-FRRC');
  expect(Number(await jkRow.locator('td[data-k="est"]').getAttribute('data-value'))).toBeCloseTo(auc.est, 12);
  const jkSe = Number(await jkRow.locator('td[data-k="se"]').getAttribute('data-value'));
  expect(Math.abs(jkSe - jackknifeFrrcSe(csv))).toBeLessThan(1e-12);
  await page.getByTestId('rs-mrmc-covariance').selectOption('delong');
  await expect(page.getByTestId('rs-mrmc')).toContainText('DeLong covariances');

  // The exports a statistician reruns hold the same 36 scores.
  const imrmc = (await download(page, 'rs-export-imrmc')).split('\n');
  expect(imrmc).toEqual(expect.arrayContaining(['NR: 3', 'N0: 6', 'N1: 6', 'NM: 1', 'BEGIN DATA:']));
  const data = imrmc.slice(imrmc.indexOf('BEGIN DATA:') + 1).filter(Boolean).map((l) => l.split(','));
  expect(data.filter((c) => c[0] === '-1').map((c) => Number(c[3]))).toEqual(ITEMS.map((it) => (it.key.truth === 'synthetic' ? 1 : 0)));
  const scores = data.filter((c) => c[0] !== '-1');
  expect(scores).toHaveLength(36);
  for (const [reader, caseId, , score] of scores) {
    const row = csv.find((r) => r.reader_id === reader && r.item_id === ITEMS[Number(caseId) - 1].id)!;
    expect(Number(score)).toBe(Number(row.synthetic_score));
  }
  const rj = (await download(page, 'rs-export-rjafroc')).trim().split('\n');
  expect(rj[0]).toBe('reader,modality,case,truth,rating');
  expect(rj).toHaveLength(37);
  for (const line of rj.slice(1)) {
    const [reader, , caseId, t, rating] = line.split(',');
    const row = csv.find((r) => r.reader_id === reader && r.item_id === ITEMS[Number(caseId) - 1].id)!;
    expect([Number(t), Number(rating)]).toEqual([row.truth === 'synthetic' ? 1 : 0, Number(row.synthetic_score)]);
  }

  await page.setViewportSize({ width: 1280, height: 1900 });
  await page.getByTestId('rs-verdict').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-mrmc-results.png`, fullPage: true });

  // Sample size on the Prepare page, with this study as the pilot: its DeLong Var and Cov2.
  await page.getByTestId('rs-nav-prepare').click();
  await page.getByTestId('rs-pilot-from-study').click();
  await expect(page.getByTestId('rs-pilot-source')).toContainText('3 readers × 12 items');
  await expect(page.getByTestId('rs-ss-kStar')).toHaveValue('12');
  await expect(page.getByTestId('rs-sample-size-table')).toBeVisible();
  const cases = await page.getByTestId('rs-ss-readers-6').locator('td[data-k="cases"]').getAttribute('data-value');
  expect(cases === 'null' || Number(cases) >= 2).toBe(true);
  await page.getByTestId('rs-sample-size').screenshot({ path: `${ARTIFACTS}/reader-study-sample-size.png` });
});
