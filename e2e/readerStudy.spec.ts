/**
 * Issue 7: a blinded reader study end to end. Prepare 6 items on the demo CT (the 3 synthetic ones
 * made by the bundled demo G and scored by the demo S in the study worker, each with a finite P and a
 * pass flag at the T set here; whatever the demo models' quality, only consistency is checked), answer 3, reload,
 * resume at item 4 with the 3 answers kept (IndexedDB), finish, and check that the exported CSV
 * (one row per answer) and the JSON summary agree, recomputing the summary here from the CSV.
 *
 * MECHANICS TEST, NOT DATA: the demo CT has no tumour. The "real" items come from a label file
 * this test draws (three small balls labelled liver tumour in the demo's liver) and marks as
 * "mechanics test" in the UI; the image under them is untouched liver.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ARTIFACTS } from './helpers/app.ts';
import { parseCsv } from './helpers/csv.ts';
import { DEMO_CT, DEMO_SEG, skipWithoutSharedDemo } from './helpers/sharedDemo.ts';

skipWithoutSharedDemo();

/** Demo labels → project ids (liver 1, pancreas 3, kidney 5) plus three drawn "tumours" (id 2). */
function writeMechanicsLabels(): string {
  const buf = Buffer.from(gunzipSync(readFileSync(DEMO_SEG)));
  const dims = [buf.readInt16LE(42), buf.readInt16LE(44), buf.readInt16LE(46)];
  if (buf.readInt16LE(70) !== 2) throw new Error('expected a uint8 label map');
  const off = Math.round(buf.readFloatLE(108));
  const [nx, ny, nz] = dims;
  const at = (i: number, j: number, k: number) => off + i + nx * (j + ny * k);
  const toProject: Record<number, number> = { 5: 1, 7: 3, 2: 5, 3: 5 };
  const src = Buffer.from(buf.subarray(off));
  for (let n = 0; n < nx * ny * nz; n++) buf[off + n] = toProject[src[n]] ?? 0;
  const R = 2;
  const inLiver = (i: number, j: number, k: number) => {
    for (let dk = -R - 1; dk <= R + 1; dk++) for (let dj = -R - 1; dj <= R + 1; dj++) for (let di = -R - 1; di <= R + 1; di++) {
      const [a, b, c] = [i + di, j + dj, k + dk];
      if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz || src[a + nx * (b + ny * c)] !== 5) return false;
    }
    return true;
  };
  const picked: number[][] = [];
  for (let k = 0; k < nz && picked.length < 3; k += 2) for (let j = 0; j < ny && picked.length < 3; j += 2) for (let i = 0; i < nx && picked.length < 3; i += 2) {
    if (!inLiver(i, j, k) || picked.some((p) => Math.hypot(p[0] - i, p[1] - j, p[2] - k) < 14)) continue;
    picked.push([i, j, k]);
  }
  if (picked.length < 3) throw new Error('could not place three drawn labels in the liver');
  for (const [i, j, k] of picked) {
    for (let dk = -R; dk <= R; dk++) for (let dj = -R; dj <= R; dj++) for (let di = -R; di <= R; di++) {
      if (di * di + dj * dj + dk * dk <= R * R) buf[at(i + di, j + dj, k + dk)] = 2;
    }
  }
  // A private temp dir: test-results/ is shared with (and wiped by) other Playwright runs.
  const path = join(mkdtempSync(join(tmpdir(), 'ftw-reader-study-')), 'mechanics-test-tumour-labels.nii.gz');
  writeFileSync(path, gzipSync(buf));
  return path;
}

/** Exact two-sided binomial test at p = 0.5 (small n: direct sum). */
function binom2(k: number, n: number): number {
  const choose = (a: number, b: number) => { let r = 1; for (let m = 1; m <= b; m++) r = (r * (a - b + m)) / m; return r; };
  const pmf = (x: number) => choose(n, x) / 2 ** n;
  const obs = pmf(k);
  let p = 0;
  for (let x = 0; x <= n; x++) if (pmf(x) <= obs * (1 + 1e-7)) p += pmf(x);
  return Math.min(1, p);
}

async function waitForApp(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__ftw?.isReady() === true, null, { timeout: 90_000 });
}

async function answer(page: Page, position: number, key: string, confidence: number): Promise<void> {
  const progress = page.getByTestId('rs-progress');
  await expect(progress).toHaveText(`Item ${position} of 6`);
  await expect(page.getByTestId('rs-canvas')).toHaveAttribute('data-shown', /^item-\d+$/);
  await page.keyboard.press(key);
  await page.keyboard.press(`Digit${confidence}`);
  await expect(page.getByTestId('rs-save')).toHaveAttribute('data-state', 'saved');
  await page.keyboard.press('Enter');
}

// Calls and confidences given, in reading order.
const KEYS = ['KeyJ', 'KeyF', 'KeyJ', 'KeyF', 'KeyJ', 'KeyF'];
const CONF = [4, 2, 5, 3, 1, 4];
const COMMENT = 'edge "sharp", odd';

test('reader study: prepare 6 items, answer 3, reload and resume at 4, finish; CSV and JSON summary agree', async ({ page }) => {
  test.setTimeout(180_000);
  const fixture = writeMechanicsLabels();
  await page.goto('/', { waitUntil: 'commit' });
  await waitForApp(page);

  // Prepare: the demo CT with the drawn labels, marked as a mechanics test.
  await page.getByTestId('open-reader-study').click();
  await expect(page.getByTestId('reader-study')).toBeVisible();
  await page.getByTestId('rs-go-prepare').click();
  await page.getByTestId('rs-case-image').setInputFiles(DEMO_CT);
  await page.getByTestId('rs-case-labels').setInputFiles(fixture);
  await page.getByTestId('rs-case-provenance').selectOption('mechanics-test');
  await page.getByTestId('rs-add-case').click();
  await expect(page.getByTestId('rs-case-candidates')).toHaveText('3');
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-prepare.png` });
  await page.getByTestId('rs-seed').fill('7');
  await page.getByTestId('rs-real-count').fill('3');
  await page.getByTestId('rs-synthetic-count').fill('3');
  // Synthetic items by the bundled demo G + S (loaded into the study worker), quality-tested at T = 0.5.
  await expect(page.getByTestId('rs-model-generator-name')).toHaveText('demo-generator.safetensors', { timeout: 60_000 });
  await expect(page.getByTestId('rs-model-segmentor-name')).toHaveText('demo-segmentor.safetensors');
  await expect(page.getByTestId('rs-synthesis-generator')).toBeChecked();
  await page.getByTestId('rs-threshold').fill('0.5');
  await expect(page.getByTestId('rs-mix')).toHaveValue('balanced');
  await page.getByTestId('rs-max-attempts').fill('6');
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-prepare-models.png`, fullPage: true });
  // Cancel stops the worker's build: no study.
  await page.getByTestId('rs-build').click();
  await page.getByTestId('rs-build-cancel').click();
  await expect(page.getByTestId('rs-prepare-error')).toHaveText('Cancelled: no study was made.', { timeout: 30_000 });
  await page.getByTestId('rs-build').click();
  await expect(page.getByTestId('rs-build-progress')).toBeVisible();
  await expect(page.getByTestId('rs-study-items')).toHaveText('6', { timeout: 120_000 });
  await expect(page.getByTestId('rs-mechanics-banner')).toBeVisible();
  await expect(page.getByTestId('rs-study-synthesis')).toContainText('demo-generator.safetensors');
  await expect(page.getByTestId('rs-study-synthesis')).toContainText('T = 0.5');
  await expect(page.getByTestId('rs-study-synthesis')).toContainText(/balanced: asked 2 passing \+ 1 failing, got \d \+ \d after [3-6] of at most 6 candidates/);
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-home.png` });

  // Read: reader id, then three answers from the keyboard.
  await page.getByTestId('rs-reader-id').fill('R1');
  await page.getByTestId('rs-start').click();
  await expect(page.getByTestId('rs-canvas')).toHaveAttribute('data-shown', 'item-01');
  // Blinding: nothing on the reading screen names the case, the organ or the provenance.
  await expect(page.getByTestId('reader-study')).not.toContainText(/liver|kidney|pancreas|example_ct|mechanics|labels\.nii|synthetic-handcrafted|synthetic-generator|safetensors|passed|failed/i);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-reading.png` });
  for (let n = 0; n < 3; n++) await answer(page, n + 1, KEYS[n], CONF[n]);
  await expect(page.getByTestId('rs-progress')).toHaveText('Item 4 of 6');

  // A reload (as after a crash): the session reopens at item 4 with the three answers kept.
  await page.reload({ waitUntil: 'commit' });
  await waitForApp(page);
  await expect(page.getByTestId('rs-progress')).toHaveText('Item 4 of 6');
  await expect(page.getByTestId('rs-answered')).toHaveText('3 answered · session resumed');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('rs-progress')).toHaveText('Item 3 of 6');
  await expect(page.getByTestId(`rs-confidence-${CONF[2]}`)).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Enter');

  await answer(page, 4, KEYS[3], CONF[3]);
  // Item 5 with the mouse and a comment.
  await expect(page.getByTestId('rs-progress')).toHaveText('Item 5 of 6');
  await page.getByTestId(KEYS[4] === 'KeyJ' ? 'rs-call-synthetic' : 'rs-call-real').click();
  await page.getByTestId(`rs-confidence-${CONF[4]}`).click();
  await page.getByTestId('rs-comment').fill(COMMENT);
  await expect(page.getByTestId('rs-save')).toHaveAttribute('data-state', 'saved');
  await page.getByTestId('rs-next').click();
  await answer(page, 6, KEYS[5], CONF[5]);
  await expect(page.getByTestId('rs-finished')).toBeVisible();

  // Results, exports.
  await page.getByTestId('rs-to-results').click();
  await expect(page.getByTestId('rs-summary')).toBeVisible();
  await expect(page.getByTestId('rs-results-mechanics')).toBeVisible();
  // Tall enough to show every table of the results page in one picture.
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-results.png` });
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('rs-export-csv').click()]);
  const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('rs-export-json').click()]);
  const rows = parseCsv(readFileSync(await csvDl.path(), 'utf8'));
  const summary = JSON.parse(readFileSync(await jsonDl.path(), 'utf8'));

  expect(rows).toHaveLength(6);
  expect(rows.map((r) => r.position)).toEqual(['1', '2', '3', '4', '5', '6']);
  expect(rows.every((r) => r.reader_id === 'R1')).toBe(true);
  expect(rows.map((r) => r.call)).toEqual(KEYS.map((k) => (k === 'KeyJ' ? 'synthetic' : 'real')));
  expect(rows.map((r) => Number(r.confidence))).toEqual(CONF);
  expect(rows[4].comment).toBe(COMMENT);
  expect(rows.filter((r) => r.truth === 'real')).toHaveLength(3);
  expect(rows.filter((r) => r.truth === 'real').every((r) => r.provenance === 'mechanics-test')).toBe(true);
  // Synthetic items: a finite P and a pass flag consistent with it at T = 0.5; real items: n/a.
  const synRows = rows.filter((r) => r.truth === 'synthetic');
  for (const r of synRows) {
    const p = Number(r.quality_p);
    expect(r.quality_p).not.toBe('');
    expect(Number.isFinite(p) && p >= 0 && p <= 1, `P ${r.quality_p}`).toBe(true);
    expect(r.quality_pass).toBe(p >= 0.5 ? 'true' : 'false');
    expect(r.quality_status).toBe(p >= 0.5 ? 'passed' : 'failed');
    expect(r.quality_threshold).toBe('0.5');
    expect(r.provenance).toBe('synthetic-generator');
  }
  expect(rows.filter((r) => r.truth === 'real').every((r) => r.quality_status === 'n/a' && r.quality_p === '')).toBe(true);
  expect(rows.every((r) => Number(r.time_ms) > 0)).toBe(true);

  // Recompute from the CSV alone.
  const correct = rows.filter((r) => r.truth === r.call).length;
  const syn = rows.filter((r) => r.truth === 'synthetic');
  const real = rows.filter((r) => r.truth === 'real');
  const score = (r: Record<string, string>) => (r.call === 'synthetic' ? 5 + Number(r.confidence) : 6 - Number(r.confidence));
  expect(rows.every((r) => Number(r.synthetic_score) === score(r))).toBe(true);
  let wins = 0;
  for (const p of syn) for (const q of real) wins += score(p) > score(q) ? 1 : score(p) === score(q) ? 0.5 : 0;
  const expected = {
    n: 6,
    correct,
    accuracy: correct / 6,
    sensitivity: syn.filter((r) => r.call === 'synthetic').length / syn.length,
    specificity: real.filter((r) => r.call === 'real').length / real.length,
    pValue: binom2(correct, 6),
    auc: wins / (syn.length * real.length),
  };
  for (const s of [summary.pooled.overall, summary.perReader[0].stats.overall]) {
    for (const [k, v] of Object.entries(expected)) expect(s[k], k).toBeCloseTo(v, 10);
  }
  expect(summary.readers).toEqual(['R1']);
  expect(summary.mechanicsTest).toBe(true);
  // Splits add up to the whole.
  const bySize = Object.values(summary.pooled.bySizeClass) as { n: number }[];
  expect(bySize.reduce((a, s) => a + s.n, 0)).toBe(6);
  const byOrgan = Object.values(summary.pooled.byOrgan) as { n: number }[];
  expect(byOrgan.reduce((a, s) => a + s.n, 0)).toBe(6);
  // Quality groups: each holds its synthetic items plus all 3 real items.
  const byQuality = summary.pooled.byQuality as Record<string, { n: number }>;
  expect(Object.keys(byQuality).every((q) => q === 'passed' || q === 'failed')).toBe(true);
  for (const [q, g] of Object.entries(byQuality)) expect(g.n, q).toBe(3 + synRows.filter((r) => r.quality_status === q).length);
  expect(summary.synthesis).toMatchObject({ method: 'generator', threshold: 0.5, mix: 'balanced', models: { generator: { fileName: 'demo-generator.safetensors' } } });
  expect(summary.synthesis.models.segmentor.sha256).toMatch(/^[0-9a-f]{64}$/);

  // Pooling: a second reader's answers file (made here from R1's rows, last two calls flipped).
  const r2 = rows.map((r, n) => ({
    studyId: r.study_id, readerId: 'R2', itemId: r.item_id, position: Number(r.position),
    call: n < 4 ? r.call : r.call === 'real' ? 'synthetic' : 'real', confidence: 3, comment: '', timeMs: 1000, answeredAt: r.answered_at,
  }));
  const file = { format: 'freetumor-reader-answers', version: 1, studyId: rows[0].study_id, readerId: 'R2', exportedAt: r2[0].answeredAt, answers: r2 };
  await page.getByTestId('rs-import-answers').setInputFiles({ name: 'R2.answers.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  const a = rows.map((r) => r.call);
  const b = r2.map((r) => r.call);
  const po = a.filter((x, n) => x === b[n]).length / 6;
  const share = (xs: string[], c: string) => xs.filter((x) => x === c).length / 6;
  const pe = share(a, 'real') * share(b, 'real') + share(a, 'synthetic') * share(b, 'synthetic');
  const kappa = (po - pe) / (1 - pe);
  await expect(page.getByTestId('rs-agreement')).toContainText(`Cohen · R1 & R2`);
  await expect(page.getByTestId('rs-agreement')).toContainText(kappa.toFixed(2));
  await expect(page.getByTestId('rs-summary')).toContainText('R2');
});
