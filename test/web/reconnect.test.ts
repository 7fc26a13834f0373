import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { startApi, startWorker, type RunningProcess } from '../helpers/processes.js';
import { collectErrors, hasChromium, launchChromium, record, recorded, configOnFreePort } from '../helpers/browser.js';

/**
 * The dashboard following a job while the API restarts: its event stream drops, it reconnects
 * with Last-Event-ID, and the chart ends with every epoch once (skipped without Chromium).
 */
describe.skipIf(!hasChromium)('dashboard across an API restart', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let browser: Browser;
  let page: Page;
  let base: string;
  let restarting = false;
  let errors: string[] = [];

  beforeAll(async () => {
    ({ config, base } = await configOnFreePort());
    [api, worker, browser] = await Promise.all([startApi(config), startWorker(config), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // While the API is away, the page's requests fail; that is the point of the test.
    errors = collectErrors(page, () => restarting);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    if (config) await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('resumes the stream after the API restarts and draws every epoch once', async () => {
    const streamRequests: { lastEventId: string | undefined }[] = [];
    page.on('request', async (request) => {
      if (!request.url().endsWith('/events')) return;
      streamRequests.push({ lastEventId: (await request.allHeaders())['last-event-id'] });
    });
    await page.goto(base);
    await page.locator('#dataset option[value="mnist-sample"]').waitFor({ state: 'attached' });
    await page.locator('#param-epochs').fill('8');
    await record(page, '#loss-chart', 'points');
    await page.locator('#submit-job').click();
    await page.waitForFunction(() => Number(document.getElementById('loss-chart')?.dataset.points) >= 1, undefined, {
      timeout: 90_000,
    });

    restarting = true;
    await api.stop();
    api = await startApi(config);
    await page.waitForFunction(() => document.getElementById('job-state')?.textContent === 'completed', undefined, {
      timeout: 90_000,
    });
    restarting = false;

    // Reconnects name the last event the page had; the chart gained each epoch once, in order.
    expect(streamRequests.length).toBeGreaterThan(1);
    expect(streamRequests[0]!.lastEventId).toBeUndefined();
    expect(streamRequests.slice(1).every((r) => r.lastEventId && /^\d+-\d+$/.test(r.lastEventId))).toBe(true);
    const points = (await recorded(page, '#loss-chart')).filter(Boolean).map(Number);
    expect(points.at(-1)).toBe(8);
    expect(points).toEqual([...points].sort((a, b) => a - b));
    expect(await page.locator('#history-rows tr').count()).toBe(8);
    expect(errors).toEqual([]);
  }, 180_000);
});
