import { expect, test } from '@playwright/test';
import { ARTIFACTS, openWorkbench } from './helpers/app.ts';

test.beforeEach(async ({ page }) => {
  await openWorkbench(page);
});

test('? opens the shortcut overlay listing every action; Esc closes it', async ({ page }) => {
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
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
});

test('the About panel carries the demo attribution and the privacy statement', async ({ page }) => {
  await page.getByTestId('open-about').click();
  const about = page.getByTestId('about-panel');
  await expect(about.getByTestId('demo-attribution')).toContainText('TotalSegmentator');
  await expect(about.getByTestId('demo-attribution')).toContainText('Apache License 2.0');
  await expect(about).toContainText('Wasserthal');
  await expect(about).toContainText('model output');
  await expect(about.getByTestId('privacy-statement')).toContainText('never leaves this machine');
  await page.screenshot({ path: `${ARTIFACTS}/about.png` });
});

test('layout and label shortcuts work from the keyboard', async ({ page }) => {
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
