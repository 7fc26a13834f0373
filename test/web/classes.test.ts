import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { makeBandsIdx } from '../helpers/idx.js';
import { encodePng } from '../helpers/png.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';
import {
  CHROMIUM,
  collectErrors,
  configOnFreePort,
  hasChromium,
  launchChromium,
  withStrictCsp,
} from '../helpers/browser.js';

const builtPage = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));
const SHAPES = ['circle', 'square', 'star'];
const TWELVE = Array.from({ length: 12 }, (_, i) => `band ${i}`);

if (!hasChromium) console.warn(`dashboard class tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/**
 * The dashboard with models of three and of twelve named classes, trained by a real worker on
 * uploaded IDX datasets: the confusion matrix, the per-class table and the playground's bars.
 */
describe.skipIf(!hasChromium)('dashboard with N classes in Chromium', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let browser: Browser;
  let page: Page;
  let base: string;
  let consoleErrors: string[] = [];
  const ids: Record<string, string> = {};
  const band = makeBandsIdx(12, 24, 9); // test images of each class, for the playground

  async function trained(model: string, labels: string[], preprocess: string) {
    const n = labels.length;
    const train = makeBandsIdx(n, 40 * n, 1);
    const test = makeBandsIdx(n, 10 * n, 2);
    const form = new FormData();
    form.append('name', model);
    form.append('labels', JSON.stringify(labels));
    form.append('preprocess', preprocess);
    const files = {
      trainImages: train.images,
      trainLabels: train.labels,
      testImages: test.images,
      testLabels: test.labels,
    };
    for (const [field, buf] of Object.entries(files))
      form.append(field, new Blob([new Uint8Array(buf)]), `${field}.idx`);
    const upload = await fetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    expect(upload.status).toBe(201);
    const { id: dataset } = (await upload.json()) as { id: string };
    const res = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset, model, epochs: 4, hiddenLayers: [32], learningRate: 0.005, seed: 1 }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as TrainingJob;
    const done = await waitFor(async () => {
      const job = (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as TrainingJob;
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    }, 120_000);
    expect(done.state).toBe('completed');
    ids[model] = done.modelId!;
  }

  beforeAll(async () => {
    if (!existsSync(builtPage)) throw new Error('dist/web is missing: run `npm run build` first');
    ({ config, base } = await configOnFreePort());
    [api, worker, browser] = await Promise.all([startApi(config), startWorker(config), launchChromium()]);
    await trained('shapes', SHAPES, 'fit');
    await trained('twelve', TWELVE, 'mnist');
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    consoleErrors = collectErrors(page, () => false);
    await withStrictCsp(page, `${base}/`);
    await page.goto(base);
    await page.locator('#models-refresh').click();
    await page.locator('#models-rows tr').nth(1).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    if (config) await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const texts = (selector: string) => page.locator(selector).allTextContents();

  it('shows a three-class model: a 3×3 matrix, numbered columns for long names, three per-class rows', async () => {
    await page.locator(`#models-rows tr[data-id="${ids.shapes}"]`).locator('button').click();
    await page.locator('#model-detail').waitFor({ state: 'visible' });
    expect(await page.locator('#model-detail-classes').textContent()).toBe(
      '3 classes, images prepared by the fit rule (letterboxed to 28×28)',
    );
    expect(await texts('#confusion-matrix thead th:not(:first-child)')).toEqual(['0', '1', '2']);
    expect(await page.locator('#confusion-matrix thead th:nth-child(2)').getAttribute('title')).toBe(
      'predicted circle',
    );
    expect(await texts('#confusion-matrix tbody th')).toEqual(['0 circle', '1 square', '2 star']);
    expect(await page.locator('#confusion-matrix tbody tr:first-child td').count()).toBe(3);
    const counts = (await texts('#confusion-matrix tbody td')).map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(await texts('#per-class-rows th')).toEqual(SHAPES);
  });

  it('shows a twelve-class model: a 12×12 matrix and twelve per-class rows', async () => {
    await page.locator(`#models-rows tr[data-id="${ids.twelve}"]`).locator('button').click();
    await page.waitForFunction(() => document.querySelectorAll('#confusion-matrix tbody tr').length === 12);
    expect(await page.locator('#confusion-matrix tbody tr:last-child td').count()).toBe(12);
    expect(await texts('#per-class-rows th')).toEqual(TWELVE);
    expect(await page.locator('#model-detail-classes').textContent()).toMatch(
      /^12 classes, images prepared by the mnist rule/,
    );
  });

  async function predictUpload(model: string, k: number) {
    await page.selectOption('#predict-model', model);
    const png = encodePng({
      width: 28,
      height: 28,
      data: band.images.subarray(16 + k * 784, 16 + (k + 1) * 784),
      channels: 1,
    });
    await page.locator('#upload').setInputFiles({ name: `${k}.png`, mimeType: 'image/png', buffer: png });
    await page.waitForFunction(() => document.getElementById('result-summary')?.textContent?.startsWith('Prediction:'));
  }

  it('predicts with the three-class model in the playground: three bars under the class names', async () => {
    await predictUpload('shapes', 1);
    expect(await page.locator('#result-summary').textContent()).toMatch(/^Prediction: square \(\d+\.\d% sure\)$/);
    expect(await texts('#prob-bars .prob-label')).toEqual(SHAPES);
    expect(await page.locator('#prob-note').textContent()).toBe('');
  });

  it('shows the ten most likely of twelve classes, most likely first', async () => {
    await page.locator('#upload').setInputFiles([]);
    await predictUpload('twelve', 11);
    expect(await page.locator('#result-summary').textContent()).toMatch(/^Prediction: band 11 /);
    expect(await page.locator('#prob-bars li').count()).toBe(10);
    expect(await page.locator('#prob-note').textContent()).toBe('The 10 most likely of 12 classes.');
    const labels = await texts('#prob-bars .prob-label');
    expect(labels[0]).toBe('band 11');
    const shown = (await texts('#prob-bars .prob-value')).map((s) => Number.parseFloat(s));
    expect([...shown].sort((a, b) => b - a)).toEqual(shown);
  });

  it("describes a dataset's classes and rule in the new-job form", async () => {
    const { items } = (await (await fetch(`${base}/v1/datasets`)).json()) as { items: { id: string; name: string }[] };
    await page.selectOption('#dataset', items.find((d) => d.name === 'shapes')!.id);
    expect(await page.locator('#hint-dataset').textContent()).toBe(
      '120 training and 30 test images in 3 classes (circle, square, star), fit rule',
    );
    await page.selectOption('#dataset', items.find((d) => d.name === 'twelve')!.id);
    expect(await page.locator('#hint-dataset').textContent()).toBe(
      '480 training and 120 test images in 12 classes (band 0, band 1, band 2, band 3, …), mnist rule',
    );
  });

  it('logged no errors in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
