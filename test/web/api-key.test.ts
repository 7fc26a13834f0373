import { rm } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { testConfig } from '../helpers/app.js';
import { startApi, type RunningProcess } from '../helpers/processes.js';
import { collectErrors, hasChromium, launchChromium, withStrictCsp } from './browser.js';

/** The dashboard's API key flow, in Chromium against the real API (skipped without Chromium). */
describe.skipIf(!hasChromium)('dashboard API key', () => {
  let config: Config;
  let api: RunningProcess;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    config = await testConfig({ PORT: '0' });
    const port = 30000 + Math.floor(Math.random() * 20000);
    config = { ...config, PORT: port };
    base = `http://127.0.0.1:${port}`;
    [api, browser] = await Promise.all([startApi(config), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    if (config) await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('asks for an API key when the API answers 401, then sends it as a Bearer token', async () => {
    // This API has no keys yet: the route plays a keyed deployment, letting through only requests
    // that carry the key. Its 401s are expected in the console; anything else is an error.
    const context = await browser.newContext();
    const keyed = await context.newPage();
    await withStrictCsp(keyed, `${base}/`);
    const errors = collectErrors(keyed, (text) => text.includes('status of 401'));
    const sent: (string | undefined)[] = [];
    await keyed.route('**/v1/**', (route) => {
      const auth = route.request().headers()['authorization'];
      sent.push(auth);
      if (auth === 'Bearer s3cret') return route.continue();
      return route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'API key required',
          code: 'UNAUTHORIZED',
        }),
      });
    });
    await keyed.goto(base);
    const dialog = keyed.locator('#key-dialog');
    await dialog.waitFor({ state: 'visible' });
    // One dialog for the page's three first requests, with the focus in its key field.
    expect(await keyed.locator('dialog[open]').count()).toBe(1);
    expect(await keyed.evaluate(() => document.activeElement?.id)).toBe('key-input');
    expect(await keyed.locator('#key-reason').textContent()).toBe('The service asks for an API key.');
    await keyed.locator('#key-input').fill('s3cret');
    await keyed.locator('#key-input').press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await keyed.locator('#dataset option[value="mnist-sample"]').waitFor({ state: 'attached' });
    expect(await keyed.evaluate(() => localStorage.getItem('trainyard.apiKey'))).toBe('s3cret');

    // The saved key goes with every request after a reload: no dialog.
    sent.length = 0;
    await keyed.reload();
    await keyed.locator('#dataset option[value="mnist-sample"]').waitFor({ state: 'attached' });
    await expect.poll(() => sent.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sent)).toEqual(new Set(['Bearer s3cret']));
    expect(await dialog.isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });
});
