import { expect, test, type Page } from '@playwright/test';
import { ARTIFACTS, newWorkbenchPage } from './helpers/app.ts';

// One page per file: loading the workbench costs ~10 s on this machine, so tests share it and
// each one sets up the state it needs.
test.describe.configure({ mode: 'serial' });
let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await newWorkbenchPage(browser);
});
test.afterAll(async () => {
  await page.close();
});

test('? opens the shortcut overlay listing every action; Esc closes it', async () => {
  await page.keyboard.press('?');
  const help = page.getByTestId('help-overlay');
  await expect(help).toBeVisible();
  for (const id of ['window.abdomen', 'window.liver', 'window.training', 'window.bone', 'view.multiplanar', 'labels.toggleAll', 'file.openImage', 'navigate.goToVoxel', 'help.toggle']) {
    await expect(help.locator(`li[data-action="${id}"] kbd`).first()).toBeVisible();
  }
  // Every toolbar button is an action, so every one is listed.
  const toolbarIds = await page.locator('.toolbar [data-action]').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
  for (const id of toolbarIds) await expect(help.locator(`li[data-action="${id}"]`)).toHaveCount(1);
  await page.screenshot({ path: `${ARTIFACTS}/help.png` });
  // Keys over the dialog don't reach the image behind it.
  await page.keyboard.press('4');
  await expect(page.getByTestId('window-preset-abdomen')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
});

test('the About panel carries the demo attribution and the privacy statement', async () => {
  await page.getByTestId('open-about').click();
  const about = page.getByTestId('about-panel');
  await expect(about.getByTestId('demo-attribution')).toContainText('TotalSegmentator');
  await expect(about.getByTestId('demo-attribution')).toContainText('Apache License 2.0');
  await expect(about).toContainText('Wasserthal');
  await expect(about).toContainText('model output');
  await expect(about.getByTestId('privacy-statement')).toContainText('never leaves this machine');
  await page.screenshot({ path: `${ARTIFACTS}/about.png` });
  await page.keyboard.press('Escape');
  await expect(about).toHaveCount(0);
});

test('layout and label shortcuts work from the keyboard', async () => {
  await page.keyboard.press('a');
  await expect(page.getByTestId('layout-axial')).toHaveAttribute('aria-pressed', 'true');
  await page.screenshot({ path: `${ARTIFACTS}/layout-axial.png` });
  await page.keyboard.press('r');
  await expect(page.getByTestId('layout-render')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('m');
  await expect(page.getByTestId('layout-multiplanar')).toHaveAttribute('aria-pressed', 'true');

  await page.keyboard.press('Shift+Digit1');
  await expect(page.getByTestId('label-toggle-liver')).not.toBeChecked();
  await page.keyboard.press('l');
  await expect(page.getByTestId('label-toggle-liver')).toBeChecked();
  await page.keyboard.press('l');
  await expect(page.getByTestId('label-toggle-kidney')).not.toBeChecked();

  // G focuses the go-to field; typed digits go to the field, not to the window presets.
  await page.keyboard.press('g');
  await expect(page.getByTestId('goto-i')).toBeFocused();
  await page.keyboard.type('4');
  await expect(page.getByTestId('goto-i')).toHaveValue('4');
  await expect(page.getByTestId('window-preset-abdomen')).toHaveAttribute('aria-pressed', 'true');
});

test('arrow keys step slices and J jumps between organs', async () => {
  // The previous test left focus in the go-to field: Escape hands the keyboard back.
  await page.keyboard.press('Escape');
  await page.keyboard.press('m');
  await expect(page.getByTestId('layout-multiplanar')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('l');
  await expect(page.getByTestId('label-toggle-liver')).toBeChecked();
  await page.getByTestId('viewer-canvas').focus();
  const voxel = page.getByTestId('readout-voxel');
  const ijk = async () => (await voxel.innerText()).split(', ').map(Number);
  const start = await ijk();
  await page.keyboard.press('ArrowUp');
  await expect(voxel).toHaveText(`${start[0]}, ${start[1]}, ${start[2] + 1}`);
  await page.keyboard.press('PageDown');
  await expect(voxel).toHaveText(`${start[0]}, ${start[1]}, ${start[2] - 9}`);

  const label = page.getByTestId('readout-label');
  const seen: string[] = [];
  for (let n = 0; n < 3; n++) {
    await page.keyboard.press('j');
    await expect(label).not.toHaveText(seen.at(-1) ?? '–');
    seen.push(await label.innerText());
  }
  // Three presses visit the three organs (starting after whichever the crosshair is in), and the
  // crosshair always lands inside the organ: for the kidneys, inside one of them, not the spine.
  expect(seen.some((t) => t.startsWith('liver'))).toBe(true);
  expect(seen.some((t) => t.startsWith('pancreas'))).toBe(true);
  expect(seen.some((t) => /^kidney_(right|left)/.test(t))).toBe(true);
  await page.screenshot({ path: `${ARTIFACTS}/jump-kidney.png` });
});
