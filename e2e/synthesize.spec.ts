import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect, test, type Download, type Page } from '@playwright/test';
import { ARTIFACTS, canvasPixels, newWorkbenchPage } from './helpers/app.ts';
import { countWhere, decodePng, meanAbsDiff, type Rgba } from './helpers/png.ts';
import { readNifti, toLabelVolume, writeNifti, type NiftiHeader, type NiftiImage } from '../src/core/nifti/index.ts';
import { TOTALSEGMENTATOR, remapLabels } from '../src/core/labels.ts';
import { synthesizeHandcrafted } from '../src/core/tumor/index.ts';
import type { Vec3 } from '../src/core/volume.ts';
import { DEMO_CT, DEMO_SEG, SHARED_DEMO_PRESENT, skipWithoutSharedDemo } from './helpers/sharedDemo.ts';

skipWithoutSharedDemo();
const CT_BYTES = SHARED_DEMO_PRESENT ? new Uint8Array(readFileSync(DEMO_CT)) : new Uint8Array(0);
const SEG_BYTES = SHARED_DEMO_PRESENT ? new Uint8Array(readFileSync(DEMO_SEG)) : new Uint8Array(0);
/** TotalSegmentator's liver id in the demo segmentation. */
const TS_LIVER = 5;
const SEED = 7;
const SIZE = 'medium';

/** The liver overlay, (221,132,82) at 60 % over grey: red well above green and blue (pancreas is yellow). */
const isLiver = (r: number, g: number, b: number) => r > 110 && r - g > 45 && r - b > 60;
/** The tumour outline is lime (80,255,60). */
const isOutline = (r: number, g: number, b: number) => g > 200 && g - r > 90 && g - b > 120;

test.describe.configure({ mode: 'serial' });
let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await newWorkbenchPage(browser);
});
test.afterAll(async () => {
  await page.close();
});

/** A pixel deep inside the largest run of `pred` pixels, nearest their centroid (CSS px in the canvas). */
function deepPixel(img: Rgba, pred: (r: number, g: number, b: number) => boolean, margin = 6): [number, number] {
  const { width: w, height: h, data } = img;
  const on = new Uint8Array(w * h);
  let sx = 0, sy = 0, n = 0;
  for (let p = 0; p < w * h; p++) {
    if (pred(data[p * 4], data[p * 4 + 1], data[p * 4 + 2])) {
      on[p] = 1;
      sx += p % w;
      sy += Math.floor(p / w);
      n++;
    }
  }
  if (n === 0) throw new Error('no matching pixel on the canvas');
  const cx = sx / n, cy = sy / n;
  let best: [number, number] | null = null;
  let bestD = Infinity;
  for (let y = margin; y < h - margin; y++) {
    for (let x = margin; x < w - margin; x++) {
      if (!on[y * w + x]) continue;
      const d = (x - cx) ** 2 + (y - cy) ** 2;
      if (d >= bestD) continue;
      let deep = true;
      for (let dy = -margin; dy <= margin && deep; dy += 2) for (let dx = -margin; dx <= margin; dx += 2) if (!on[(y + dy) * w + x + dx]) { deep = false; break; }
      if (deep) { best = [x, y]; bestD = d; }
    }
  }
  if (!best) throw new Error('no pixel deep inside the region');
  return best;
}

/** Bounding box of what niivue drew (anything not the background colour). */
function drawnBox(img: Rgba): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = img.width, y0 = img.height, x1 = 0, y1 = 0;
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
    const p = (y * img.width + x) * 4;
    if (img.data[p] < 8 && img.data[p + 1] < 8 && img.data[p + 2] < 8) {
      // Air inside the volume is black; the canvas background is (11,13,16).
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
  }
  return { x0, y0, x1, y1 };
}

async function clickCanvas(xy: [number, number]): Promise<void> {
  const box = (await page.getByTestId('viewer-canvas').boundingBox())!;
  await page.mouse.click(box.x + xy[0], box.y + xy[1]);
}

function sameGeometry(a: NiftiHeader, b: NiftiHeader): void {
  expect(a.dim).toEqual(b.dim);
  expect(a.pixdim).toEqual(b.pixdim);
  expect(a.srow).toEqual(b.srow);
  expect(a.sformCode).toBe(b.sformCode);
  expect(a.qformCode).toBe(b.qformCode);
  expect(a.quatern).toEqual(b.quatern);
  expect(a.qoffset).toEqual(b.qoffset);
  expect(a.datatypeCode).toBe(b.datatypeCode);
  expect(a.bitpix).toBe(b.bitpix);
  expect(a.sclSlope).toBe(b.sclSlope);
  expect(a.sclInter).toBe(b.sclInter);
}

let centre: Vec3;

test('placement mode refuses a click outside the liver, then places the tumour where the liver is clicked', async () => {
  await page.keyboard.press('a');
  await expect(page.getByTestId('layout-axial')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('synth-size').selectOption(SIZE);
  await page.getByTestId('synth-seed').fill(String(SEED));
  await page.keyboard.press('Escape');

  await page.keyboard.press('p');
  await expect(page.getByTestId('synth-place')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('synth-centre')).toContainText('Click on a slice inside the liver');
  await expect(page.getByTestId('placement-banner')).toContainText('Click on a slice inside the liver');

  // Air just inside the slice's corner: in the image, in no organ.
  const before = await canvasPixels(page);
  const box = drawnBox(before);
  await clickCanvas([box.x0 + 4, box.y0 + 4]);
  // Said in the panel and over the viewer, where the user is looking.
  for (const id of ['synth-message', 'placement-banner']) {
    await expect(page.getByTestId(id)).toContainText('not in the liver');
    await expect(page.getByTestId(id)).toContainText('Click inside the liver');
  }
  await page.screenshot({ path: `${ARTIFACTS}/synth-refused.png` });
  // Still placing: the refused click does not end the mode.
  await expect(page.getByTestId('synth-place')).toHaveText(/Click a slice/);

  const liverPx = deepPixel(await canvasPixels(page), isLiver);
  await clickCanvas(liverPx);
  await expect(page.getByTestId('synth-result')).toBeVisible({ timeout: 60_000 });
  const voxel = (await page.getByTestId('synth-tumour-0-voxel').innerText()).split(', ').map(Number);
  centre = [voxel[0], voxel[1], voxel[2]];
  // The centre is the voxel under the click, which the readout shows too.
  await expect(page.getByTestId('readout-voxel')).toHaveText(centre.join(', '));
  await expect(page.getByTestId('synth-tumour-0-class')).toHaveText(SIZE);
  await expect(page.getByTestId('synth-result-seed')).toHaveText(String(SEED));
  await expect(page.getByTestId('synth-tumour-0')).toContainText('placed');
  await page.getByTestId('synth-panel').scrollIntoViewIfNeeded();
  await page.getByTestId('synth-panel').screenshot({ path: `${ARTIFACTS}/synth-panel.png` });
  console.log('clicked', liverPx, '→ centre voxel', centre.join(','), '|', await page.getByTestId('synth-tumour-0-size').innerText());
});

test('the tumour shows as an outline; X toggles original / synthetic', async () => {
  const synthetic = await canvasPixels(page, 'synth-outline.png');
  const outline = countWhere(synthetic, isOutline);
  expect(outline).toBeGreaterThan(20);
  await page.keyboard.press('x');
  await expect(page.getByTestId('synth-toggle')).toHaveAttribute('aria-pressed', 'false');
  const original = await canvasPixels(page, 'synth-original.png');
  // The outline stays on both; the image under it changes.
  expect(countWhere(original, isOutline)).toBeGreaterThan(20);
  const diff = meanAbsDiff(synthetic, original);
  console.log('outline px', outline, '| synthetic vs original mean abs diff', diff.toFixed(3));
  expect(diff).toBeGreaterThan(0.05);
  await page.keyboard.press('x');
  await expect(page.getByTestId('synth-toggle')).toHaveAttribute('aria-pressed', 'true');
});

test('B compares side by side with the crosshair in step', async () => {
  await page.keyboard.press('l'); // organ overlays off: the two panes differ only by the tumour
  await page.keyboard.press('b');
  const compare = page.getByTestId('compare-canvas');
  await expect(compare).toBeVisible();
  await page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
  await page.screenshot({ path: `${ARTIFACTS}/synth-compare.png` });
  const shot = async () => decodePng(await compare.screenshot());
  // canvasPixels first: it waits until no canvas (the compare pane's included) has GPU work queued.
  const left = await canvasPixels(page);
  const right = await shot();
  // Two equal panes, each drawing the whole slice: the same picture but for the tumour's texture.
  expect(right.width).toBeGreaterThan(300);
  expect(Math.abs(right.width - left.width)).toBeLessThanOrEqual(2);
  expect(countWhere(right, isOutline)).toBeGreaterThan(20);
  expect(countWhere(left, isOutline)).toBeGreaterThan(20);
  const paneDiff = right.width === left.width ? meanAbsDiff(left, right) : NaN;
  console.log('compare panes', left.width, 'x', left.height, '| original vs synthetic pane diff', paneDiff.toFixed(3));
  if (right.width === left.width) {
    expect(paneDiff).toBeGreaterThan(0.05);
    expect(paneDiff).toBeLessThan(5);
  }
  // Stepping the main view's slice moves the compare view's slice too.
  await page.getByTestId('viewer-canvas').focus();
  await page.keyboard.press('PageUp');
  await expect(page.getByTestId('readout-voxel')).toHaveText(`${centre[0]}, ${centre[1]}, ${centre[2] + 10}`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const moved = await shot();
  expect(meanAbsDiff(right, moved)).toBeGreaterThan(1);
  // A click in the compare pane moves the main crosshair (and readout).
  const cb = (await compare.boundingBox())!;
  await page.mouse.click(cb.x + cb.width / 2 + 20, cb.y + cb.height / 2);
  await expect(page.getByTestId('readout-voxel')).not.toHaveText(`${centre[0]}, ${centre[1]}, ${centre[2] + 10}`);
  const k = Number((await page.getByTestId('readout-voxel').innerText()).split(', ')[2]);
  expect(k).toBe(centre[2] + 10);
  await page.keyboard.press('b');
  await expect(compare).toHaveCount(0);
  await page.keyboard.press('l');
});

test('E exports image + label with the source geometry; tumour in the liver; same bytes as Node', async () => {
  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.keyboard.press('e');
  await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(2);
  await expect(page.getByTestId('synth-exported')).toContainText('example_ct_synthetic.nii.gz');
  const byName = new Map<string, Uint8Array>();
  for (const d of downloads) {
    const path = await d.path();
    byName.set(d.suggestedFilename(), new Uint8Array(readFileSync(path)));
  }
  const imgBytes = byName.get('example_ct_synthetic.nii.gz')!;
  const labBytes = byName.get('example_ct_synthetic_label.nii.gz')!;
  expect(imgBytes, 'image download').toBeDefined();
  expect(labBytes, 'label download').toBeDefined();

  const src: NiftiImage = await readNifti(CT_BYTES, 'ct');
  const seg: NiftiImage = await readNifti(SEG_BYTES, 'seg');
  const outImg = await readNifti(imgBytes, 'exported image');
  const outLab = await readNifti(labBytes, 'exported label');
  sameGeometry(outImg.header, src.header);
  sameGeometry(outLab.header, seg.header);
  expect(outImg.volume.affine).toEqual(src.volume.affine);
  expect(outLab.volume.affine).toEqual(seg.volume.affine);

  // Every tumour voxel (project id 2) lies in the source liver (TotalSegmentator 5); elsewhere the
  // label is the source remapped to the project scheme.
  const remapped = remapLabels(toLabelVolume(seg, 'seg').data, TOTALSEGMENTATOR);
  let tumour = 0;
  for (let v = 0; v < remapped.length; v++) {
    const out = outLab.volume.data[v];
    if (out === 2) {
      tumour++;
      expect(seg.volume.data[v], `voxel ${v}`).toBe(TS_LIVER);
    } else if (out !== remapped[v]) throw new Error(`label voxel ${v}: ${out} vs source ${remapped[v]}`);
  }
  const reported = Number((await page.getByTestId('synth-tumour-0-size').innerText()).split(' ')[0]);
  expect(tumour).toBe(reported);
  expect(tumour).toBeGreaterThan(0);
  expect(outLab.volume.data[centre[0] + src.volume.dims[0] * (centre[1] + src.volume.dims[1] * centre[2])]).toBe(2);

  // The same synthesis in Node: same core call, seed, centre and options.
  const label = { dims: seg.volume.dims, affine: seg.volume.affine, data: remapped };
  const node = synthesizeHandcrafted(src.volume, label, {
    seed: SEED,
    count: 1,
    organs: ['liver'],
    sizeClass: SIZE,
    centres: [centre],
    avoidVessels: { enabled: false, huThreshold: 180 },
  });
  // Outside the soft mask the image is the source, voxel for voxel; inside, it got darker.
  let changed = 0;
  for (let v = 0; v < src.volume.data.length; v++) {
    const a = outImg.volume.data[v];
    const b = src.volume.data[v];
    if (node.simulation.softMask[v] === 0) {
      if (a !== b) throw new Error(`voxel ${v} outside the soft mask changed: ${b} → ${a}`);
    } else {
      expect(a).toBeLessThanOrEqual(b);
      if (a !== b) changed++;
    }
  }
  expect(changed).toBeGreaterThan(0);
  // Bit for bit: the browser's files decompress to exactly what Node writes.
  const nodeImg = await writeNifti(node.image, { header: src.header, datatype: src.datatype, gzip: false });
  const nodeLab = await writeNifti(node.label, { header: seg.header, datatype: seg.datatype, gzip: false });
  expect(Buffer.compare(gunzipSync(imgBytes), Buffer.from(nodeImg))).toBe(0);
  expect(Buffer.compare(gunzipSync(labBytes), Buffer.from(nodeLab))).toBe(0);
  console.log(`exported ${imgBytes.length} + ${labBytes.length} bytes; tumour ${tumour} voxels, ${changed} image voxels changed; identical to Node`);
});

test('every synthesis control is listed with its shortcut in the help overlay', async () => {
  await page.keyboard.press('?');
  const help = page.getByTestId('help-overlay');
  await expect(help).toBeVisible();
  for (const id of ['synth.run', 'synth.place', 'synth.random', 'synth.organ', 'synth.size', 'synth.seed', 'synth.count', 'synth.vessels', 'synth.huUp', 'synth.huDown', 'synth.toggleView', 'synth.compare', 'synth.export']) {
    await expect(help.locator(`li[data-action="${id}"] kbd`).first()).toBeVisible();
  }
  await page.screenshot({ path: `${ARTIFACTS}/synth-help.png` });
  await page.keyboard.press('Escape');
});
