import { test } from '@playwright/test';
import { newWorkbenchPage } from './helpers/app.ts';
test('debug', async ({ browser }) => {
  const page = await newWorkbenchPage(browser);
  page.on('console', (m) => console.log('console', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  page.on('worker', (w) => { console.log('worker', w.url()); w.on('close', () => console.log('worker closed')); });
  page.on('requestfailed', (r) => console.log('requestfailed', r.url(), r.failure()?.errorText));
  page.on('response', (r) => { if (r.status() >= 400 || r.url().includes('worker')) console.log('response', r.status(), r.url()); });
  await page.keyboard.press('t');
  await page.waitForTimeout(15000);
  console.log(await page.getByTestId('synth-panel').innerText());
});
