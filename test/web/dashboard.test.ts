import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';
import { classFolders, makeZip } from '../helpers/archives.js';
import {
  CHROMIUM,
  collectErrors,
  hasChromium,
  launchChromium,
  record,
  recorded,
  withStrictCsp,
  configOnFreePort,
} from '../helpers/browser.js';

const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const builtPage = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));
// Training waits get longer than the default test timeout on a busy machine.
const TRAINING_MS = 120_000;

if (!hasChromium) console.warn(`dashboard browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/**
 * The built dashboard as a person uses it: served by the real API process, training on a real
 * worker, driven in Debian's Chromium under a strict Content-Security-Policy.
 */
describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let browser: Browser;
  let page: Page;
  let base: string;
  let consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(builtPage)) throw new Error('dist/web is missing: run `npm run build` first');
    ({ config, base } = await configOnFreePort());
    [api, worker, browser] = await Promise.all([startApi(config), startWorker(config), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    consoleErrors = collectErrors(
      page,
      (text, url) =>
        // Refusals the tests provoke: a bad form, a broken image, the stream the polling test blocks.
        (text.includes('status of 400') && (url.endsWith('/v1/training-jobs') || url.endsWith('/predict?debug=1'))) ||
        (text.includes('status of 404') && url.endsWith('/events')),
    );
    await withStrictCsp(page, `${base}/`);
    await page.goto(base);
    await page.locator('#dataset option[value="mnist-sample"]').waitFor({ state: 'attached' });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    if (config) await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const text = async (selector: string) => (await page.locator(selector).textContent())?.trim() ?? '';
  const hasEventStream = async (jobId: string) =>
    (await fetch(`${base}/v1/training-jobs/${jobId}/events`, { signal: AbortSignal.timeout(5000) }).then(
      async (res) => {
        await res.body?.cancel();
        return res.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
      },
    )) as boolean;
  const listJobs = async () =>
    ((await (await fetch(`${base}/v1/training-jobs`)).json()) as { items: TrainingJob[] }).items;

  it('shows the API validation message next to the field, submitted from the keyboard', async () => {
    const epochs = page.locator('#param-epochs');
    await epochs.fill('0');
    await epochs.press('Enter');
    await page.locator('#err-epochs').waitFor({ state: 'visible' });
    expect(await text('#err-epochs')).toBe('Epochs must be >= 1');
    expect(await epochs.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#form-error').isHidden()).toBe(true);
    expect(await listJobs()).toEqual([]);
  });

  it(
    'trains a 1-epoch job started from the form, its charts gaining the epoch live',
    async () => {
      await page.locator('#param-epochs').fill('1');
      await page.locator('#param-validationSplit').fill('0.1');
      await page.locator('#job-name').fill('from the dashboard');
      await page.locator('#job-model').fill('dashboard-digits');
      await page.locator('#job-promote').fill('production');
      await record(page, '#loss-chart', 'points');
      await record(page, '#job-transport', 'text');
      await page.locator('#submit-job').click();
      await page.locator('#job-detail').waitFor({ state: 'visible' });
      expect(await page.locator('#err-epochs').isHidden()).toBe(true);
      expect(await page.locator('#param-epochs').getAttribute('aria-invalid')).toBeNull();

      await page.waitForFunction(() => document.getElementById('job-state')?.textContent === 'completed', undefined, {
        timeout: 90_000,
      });
      // Drawn empty for the queued job, then with the finished epoch.
      expect(await recorded(page, '#loss-chart')).toEqual(['', '0', '1']);
      expect(await page.locator('#accuracy-chart').getAttribute('data-points')).toBe('1');
      expect(await page.locator('#history-rows tr').count()).toBe(1);
      expect(await text('#job-title')).toBe('Job: from the dashboard');

      const [job] = await listJobs();
      expect(job).toMatchObject({ name: 'from the dashboard', state: 'completed', dataset: 'mnist-sample' });
      // The model name and promote rule of the form reached the job, and the rule was applied.
      expect(job).toMatchObject({
        model: 'dashboard-digits',
        modelVersion: 1,
        promotion: { alias: 'production', promoted: true },
      });
      expect(job!.params).toMatchObject({ epochs: 1, validationSplit: 0.1, batchSize: 64 });
      expect(job!.progress.history).toHaveLength(1);
      // Followed over the event stream where the API has one, by polling otherwise.
      const live = (await hasEventStream(job!.id)) ? 'Live updates: streaming' : 'Live updates: polling every second';
      expect(await recorded(page, '#job-transport')).toContain(live);
      // The table shows the same epoch the service recorded.
      expect(await text('#history-rows tr th')).toBe('1');
      expect((await page.locator('#history-rows tr td').first().textContent())?.trim()).toBe(
        job!.progress.history[0]!.loss.toFixed(4),
      );

      // The jobs list and the models table catch up without a reload.
      await page.locator('#jobs-list .badge-completed').waitFor();
      await page.locator('#models-rows tr').waitFor();
      expect(await page.locator('#models-rows tr').count()).toBe(1);
    },
    TRAINING_MS,
  );

  it(
    'follows a job by polling when the event stream is unavailable',
    async () => {
      // As an API without the stream (or a proxy refusing it) would answer.
      await page.route('**/v1/training-jobs/*/events', (route) =>
        route.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'no route', code: 'ROUTE_NOT_FOUND' }),
        }),
      );
      await page.locator('#job-name').fill('followed by polling');
      await record(page, '#job-transport', 'text');
      await page.locator('#submit-job').click();
      await page.waitForFunction(
        () =>
          document.getElementById('job-title')?.textContent === 'Job: followed by polling' &&
          document.getElementById('job-state')?.textContent === 'completed',
        undefined,
        { timeout: 90_000 },
      );
      await page.unroute('**/v1/training-jobs/*/events');
      expect(await recorded(page, '#job-transport')).toContain('Live updates: polling every second');
      expect(await recorded(page, '#job-transport')).not.toContain('Live updates: streaming');
      expect(await page.locator('#accuracy-chart').getAttribute('data-points')).toBe('1');
      await page.locator('#models-rows tr').nth(1).waitFor();
    },
    TRAINING_MS,
  );

  it(
    'cancels a running job from the job view',
    async () => {
      await page.locator('#job-name').fill('to be cancelled');
      await page.locator('#param-epochs').fill('100');
      await page.locator('#submit-job').click();
      await page.waitForFunction(
        () =>
          document.getElementById('job-title')?.textContent === 'Job: to be cancelled' &&
          document.getElementById('loss-chart')?.dataset.points === '1',
        undefined,
        { timeout: 90_000 },
      );
      await page.locator('#job-cancel').click();
      await page.waitForFunction(() => document.getElementById('job-state')?.textContent === 'cancelled', undefined, {
        timeout: 30_000,
      });
      expect(await page.locator('#job-cancel').isDisabled()).toBe(true);
      expect(await text('#job-progress-label')).toMatch(/^Cancelled after \d+ of 100 epochs$/);
      const [job] = await listJobs();
      expect(job).toMatchObject({ name: 'to be cancelled', state: 'cancelled', modelId: null });
    },
    TRAINING_MS,
  );

  it('lists registered models by name and makes a version production from the page', async () => {
    await page.locator('#models-refresh').click();
    await page.locator('#registered-rows tr').first().waitFor();
    const name = (await page.locator('#registered-rows tr').first().getAttribute('data-name'))!;
    await page.locator(`#registered-rows tr[data-name="${name}"] button`).click();
    await page.locator('#versions-rows tr').first().waitFor();
    expect(await text('#versions-title')).toBe(`Versions of ${name}`);
    // A version production does not hold yet: its button is enabled.
    const row = page.locator('#versions-rows tr', { has: page.locator('button:enabled') }).first();
    const version = Number(await row.getAttribute('data-version'));
    await row.locator('button').click();
    // The alias moved in the registry, and the page shows it.
    await page.waitForFunction(
      (v) =>
        document
          .querySelector(`#versions-rows tr[data-version="${v}"] td:nth-child(4)`)
          ?.textContent?.includes('production'),
      version,
      { timeout: 15_000 },
    );
    const model = (await (await fetch(`${base}/v1/models/${name}`)).json()) as { aliases: Record<string, number> };
    expect(model.aliases.production).toBe(version);
    expect(await page.locator(`#versions-rows tr[data-version="${version}"] button`).isDisabled()).toBe(true);
  });

  it("shows a model's per-class metrics", async () => {
    const { items } = (await (await fetch(`${base}/v1/models`)).json()) as {
      items: { metrics: { confusionMatrix?: number[][] } }[];
    };
    await page.locator('#models-rows button').first().click();
    await page.locator('#model-detail').waitFor({ state: 'visible' });
    if (items[0]?.metrics.confusionMatrix) {
      expect(await page.locator('#confusion-matrix tbody tr').count()).toBe(10);
      expect(await page.locator('#confusion-matrix tbody tr:first-child td').count()).toBe(10);
      expect(await page.locator('#per-class-rows tr').count()).toBe(10);
    } else {
      expect(await page.locator('#model-detail-none').isVisible()).toBe(true);
    }
  });

  it('predicts a digit drawn with the mouse: ten probability bars and the 28×28 input', async () => {
    const canvas = page.locator('#draw-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.85, { steps: 12 });
    await page.mouse.up();
    await page.locator('#predict-drawing').click();

    await page.locator('#prob-bars li').nth(9).waitFor();
    expect(await page.locator('#prob-bars li').count()).toBe(10);
    expect(await page.locator('#prob-bars .prob-bar').count()).toBe(10);
    const shown = await page.locator('#prob-bars .prob-value').allTextContents();
    const total = shown.reduce((sum, s) => sum + Number.parseFloat(s), 0);
    expect(total).toBeGreaterThan(99);
    expect(total).toBeLessThan(101);
    expect(await text('#result-summary')).toMatch(/^Prediction: \d \(\d+\.\d% sure\)$/);
    // Which model answered: the registered name the picker chose, its version and alias.
    expect(await text('#result-model')).toMatch(/^by [a-z][a-z0-9-]* version \d+ \((production|latest)\)$/);

    // The model saw a vertical stroke: bright pixels in the middle columns, dark at the sides.
    const columns = await page.evaluate(() => {
      const c = document.getElementById('seen-canvas') as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
      const sums = new Array<number>(28).fill(0);
      for (let i = 0; i < 784; i++) sums[i % 28]! += data[i * 4]!;
      return sums;
    });
    const middle = columns.slice(10, 18).reduce((a, b) => a + b, 0);
    const sides = [...columns.slice(0, 6), ...columns.slice(22)].reduce((a, b) => a + b, 0);
    expect(middle).toBeGreaterThan(0);
    expect(sides).toBe(0);
    expect(await page.locator('#seen-figure').isVisible()).toBe(true);
  });

  it('predicts an uploaded image', async () => {
    // A black 28×28 PNG with a white horizontal bar: a different input from the drawing.
    const raw = Buffer.alloc(28 * 28);
    for (let x = 6; x < 22; x++) for (let y = 12; y < 16; y++) raw[y * 28 + x] = 255;
    const png = await sharp(raw, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    await page.locator('#clear-drawing').click();
    await page.locator('#upload').setInputFiles({ name: 'bar.png', mimeType: 'image/png', buffer: png });
    // What the model saw is now wide and flat: lit in many columns but few rows.
    const shape = await page.waitForFunction(
      () => {
        const c = document.getElementById('seen-canvas') as HTMLCanvasElement;
        const data = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
        const rows = new Set<number>();
        const cols = new Set<number>();
        for (let i = 0; i < 784; i++) {
          if (data[i * 4]! > 64) {
            rows.add(Math.floor(i / 28));
            cols.add(i % 28);
          }
        }
        return cols.size > rows.size * 2 ? { rows: rows.size, cols: cols.size } : undefined;
      },
      undefined,
      { timeout: 15_000 },
    );
    expect((await shape.jsonValue())!.cols).toBeGreaterThan(10);
    expect(await page.locator('#prob-bars li').count()).toBe(10);
    expect(await page.locator('#predict-error').isHidden()).toBe(true);
  });

  it("shows why an upload was refused: the page's check for non-images, the API's message for broken ones", async () => {
    const upload = page.locator('#upload');
    await upload.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.locator('#predict-error').waitFor({ state: 'visible' });
    expect(await text('#predict-error')).toBe('notes.txt is not a PNG, JPEG, WebP, GIF or BMP image.');

    await upload.setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
    await page.waitForFunction(() => document.getElementById('result-summary')?.textContent === 'No prediction.');
    const message = await text('#predict-error');
    // The model the page picked: the first registered name.
    const picked = await page.locator('#predict-model').inputValue();
    expect(picked).toMatch(/^[a-z][a-z0-9-]*$/);
    const api = await fetch(`${base}/v1/models/${picked}/predict?debug=1`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: 'not really a png',
    });
    expect(api.status).toBe(400);
    expect(message).toBe(((await api.json()) as { message: string }).message);
  });

  it("shows an imported dataset's class balance and preview grid", async () => {
    const form = new FormData();
    form.append('name', 'two shapes');
    form.append('archive', new Blob([new Uint8Array(await makeZip(classFolders(['bars', 'dots'], 5)))]), 'shapes.zip');
    const res = await fetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => {
      const d = (await (await fetch(`${base}/v1/datasets/${id}`)).json()) as { state: string };
      return d.state === 'ready' ? true : undefined;
    });
    await page.reload();
    await page.locator(`#dataset option[value="${id}"]`).waitFor({ state: 'attached' });
    await page.selectOption('#dataset', id);
    await page.locator('.dataset-preview').waitFor({ state: 'visible' });
    expect(await page.locator('.class-balance th').allTextContents()).toEqual(['bars', 'dots']);
    expect(await page.locator('.class-balance td:nth-child(3)').allTextContents()).toEqual(['4 / 1', '4 / 1']);
    // The grid decoded: one row of cells per class.
    const size = await page.locator('.dataset-preview').evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
    expect(size).toEqual([8 * 30 + 2, 2 * 30 + 2]);
    await page.selectOption('#dataset', 'mnist-sample');
  });

  it('fits a phone screen without sideways scrolling', async () => {
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}dashboard.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // Charts take their new width from a ResizeObserver, which reports at the next rendering step.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const { overflow, widest } = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      // Named in the failure message: what reaches past the screen's right edge.
      widest: Array.from(document.querySelectorAll<HTMLElement>('body *'))
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth && !e.closest('.table-scroll'))
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    }));
    expect(overflow, widest.join(', ')).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${artifacts}dashboard-phone.png`, fullPage: true });
  });

  it('logged no errors in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
