import { rm } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { startApi, type RunningProcess } from '../helpers/processes.js';
import { collectErrors, configOnFreePort, hasChromium, launchChromium, withStrictCsp } from '../helpers/browser.js';

const KEY = 'dashboard-key-0123456789abcdef';
const TEAM_KEY = 'team-a-dashboard-key-0123456';
const ADMIN_KEY = 'operator-dashboard-key-01234';

/** The dashboard's API key flow, in Chromium against the real API with keys (skipped without Chromium). */
describe.skipIf(!hasChromium)('dashboard API key', () => {
  let config: Config;
  let api: RunningProcess;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ({ config, base } = await configOnFreePort({
      API_KEYS: `${KEY}:train,${TEAM_KEY}:train+predict:team-a,${ADMIN_KEY}:admin:ops`,
    }));
    [api, browser] = await Promise.all([startApi(config), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    if (config) await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('asks for an API key when the API answers 401, then sends it as a Bearer token', async () => {
    // The API answers 401 to every /v1 request without the key; those 401s are expected in the console.
    const context = await browser.newContext();
    const keyed = await context.newPage();
    await withStrictCsp(keyed, `${base}/`);
    const errors = collectErrors(keyed, (text) => text.includes('status of 401'));
    const sent: (string | undefined)[] = [];
    keyed.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/v1/')) sent.push(request.headers()['authorization']);
    });
    await keyed.goto(base);
    const dialog = keyed.locator('#key-dialog');
    await dialog.waitFor({ state: 'visible' });
    // One dialog for the page's three first requests, with the focus in its key field.
    expect(await keyed.locator('dialog[open]').count()).toBe(1);
    expect(await keyed.evaluate(() => document.activeElement?.id)).toBe('key-input');
    expect(await keyed.locator('#key-reason').textContent()).toBe('The service asks for an API key.');
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set([undefined])); // the real API refused them: no key yet
    await keyed.locator('#key-input').fill(KEY);
    await keyed.locator('#key-input').press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await keyed.locator('#dataset option[value="mnist-sample"]').waitFor({ state: 'attached' });
    expect(await keyed.evaluate(() => localStorage.getItem('trainyard.apiKey'))).toBe(KEY);

    // The saved key goes with every request after a reload: no dialog.
    sent.length = 0;
    await keyed.reload();
    await keyed.locator('#dataset option[value="mnist-sample"]').waitFor({ state: 'attached' });
    await expect.poll(() => sent.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sent)).toEqual(new Set([`Bearer ${KEY}`]));
    expect(await dialog.isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the key's tenant, and gives admin keys a tenant filter over the listings", async () => {
    const open = async (key: string) => {
      const context = await browser.newContext();
      await context.addInitScript((k) => localStorage.setItem('trainyard.apiKey', k), key);
      const page = await context.newPage();
      await withStrictCsp(page, `${base}/`);
      const listed: string[] = [];
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/v1/training-jobs') listed.push(r.url());
      });
      await page.goto(base);
      await page.locator('#tenant-badge:not([hidden])').waitFor();
      return { context, page, listed };
    };
    const team = await open(TEAM_KEY);
    expect(await team.page.locator('#tenant-badge').textContent()).toBe('Tenant: team-a');
    expect(await team.page.locator('#tenant-filter').isHidden()).toBe(true);
    await team.context.close();

    const admin = await open(ADMIN_KEY);
    expect(await admin.page.locator('#tenant-badge').textContent()).toBe('Tenant: ops');
    const filter = admin.page.locator('#tenant-filter');
    await filter.locator('option[value="team-a"]').waitFor({ state: 'attached' });
    expect(await filter.locator('option').allTextContents()).toEqual(['All tenants', 'default', 'ops', 'team-a']);
    await filter.selectOption('team-a');
    await expect.poll(() => admin.listed.some((u) => u.includes('tenant=team-a'))).toBe(true);
    await admin.context.close();
  });
});
