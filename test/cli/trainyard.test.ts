import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { syntheticPng } from '../helpers/model.js';
import { freePort } from '../helpers/net.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

const KEY = 'cli-train-key-0123456789ab';
const CLI = 'dist/cli/trainyard.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command as a user would, as its own process; `onOut` sees stdout as it comes. */
function cli(args: string[], env: Record<string, string>, onOut?: (text: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onOut?.(stdout);
    });
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The same under a pseudo-terminal (`script`), as someone at a terminal sees it. */
function cliInTerminal(args: string[], env: Record<string, string>): Promise<Run> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    const proc = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...env, COLUMNS: '160' } });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.on('close', (code) => resolve({ code, stdout, stderr: '' }));
  });
}

describe('the trainyard command against real API and worker processes', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let env: Record<string, string>;
  let files: string;

  beforeAll(async () => {
    const base = await testConfig();
    config = { ...base, PORT: await freePort(), API_KEYS: `${KEY}:train+predict` };
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
    env = { TRAINYARD_URL: `http://127.0.0.1:${config.PORT}`, TRAINYARD_API_KEY: KEY };
    files = await mkdtemp(join(tmpdir(), 'trainyard-cli-'));
  });
  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
    await rm(files, { recursive: true, force: true });
  });

  const getJob = async (id: string) =>
    (await (
      await fetch(`${env.TRAINYARD_URL}/v1/training-jobs/${id}`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as TrainingJob;

  it('train --follow prints every epoch once, then the test metrics and the model, and exits 0', async () => {
    const run = await cli(['train', '--epochs', '3', '--batch-size', '32', '--follow'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const epoch of [1, 2, 3]) expect(run.stdout.match(new RegExp(`^epoch ${epoch}/3 `, 'gm'))).toHaveLength(1);
    const id = /^job (\S+) submitted/m.exec(run.stdout)![1]!;
    const job = await getJob(id);
    expect(job.state).toBe('completed');
    expect(run.stdout).toContain(`model ${job.model} version ${job.modelVersion} (id ${job.modelId})`);
    expect(run.stdout).toMatch(/^completed: test accuracy \d+\.\d %, test loss \d\.\d{4}$/m);
  });

  it('draws a bar per epoch on a terminal', async () => {
    const run = await cliInTerminal(['train', '--epochs', '2', '--follow'], env);
    expect(run.code).toBe(0);
    // The screen without its escape sequences (cursor moves, line clears).
    const ESC = String.fromCharCode(27);
    const screen = run.stdout.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, 'g'), '');
    expect(screen).toMatch(
      /epoch 1\/2 \[█+\] 100% \| (\d+)\/\1 samples \| [\d,]+ samples\/s \| ETA \d+s \| loss \d\.\d{4} acc \d+\.\d %/,
    );
    expect(screen).toMatch(/epoch 2\/2 \[█+\] 100%/);
    expect(screen).toMatch(/completed: test accuracy/);
  });

  it('exits 1 when the followed job is cancelled, saying so', async () => {
    let id: string | undefined;
    const running = cli(['train', '--epochs', '100', '--follow'], env, (out) => {
      id ??= /^job (\S+) submitted/m.exec(out)?.[1];
    });
    await waitFor(async () => id, 30_000, 20);
    const cancel = await cli(['cancel', id!], env);
    expect(cancel.code).toBe(0);
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^cancelled/m);
    expect((await getJob(id!)).state).toBe('cancelled');
  });

  it("exits 3 with the API's message and code when the key is refused, or the service is not there", async () => {
    const refused = await cli(['jobs'], { ...env, TRAINYARD_API_KEY: 'not-a-key-of-this-service' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^trainyard: .+ \(401 [A-Z_]+\)\n$/);
    expect(refused.stderr).not.toMatch(/at .+\.js:\d+/); // no stack trace
    const away = await cli(['--url', 'http://127.0.0.1:1', 'jobs'], env);
    expect(away.code).toBe(3);
    expect(away.stderr).toMatch(/^trainyard: cannot reach http:\/\/127\.0\.0\.1:1: /);
  });

  it('exits 2 on bad usage: a value out of range, an unknown state, missing files', async () => {
    const epochs = await cli(['train', '--epochs', '0'], env);
    expect([epochs.code, epochs.stderr]).toEqual([
      2,
      'trainyard: --epochs must be a whole number from 1 to 100, not "0"\n',
    ]);
    const state = await cli(['jobs', '--state', 'sleeping'], env);
    expect(state.code).toBe(2);
    expect(state.stderr).toMatch(/--state must be one of queued, running/);
    const one = await cli(['datasets', 'upload', '--name', 'x', join(files, 'train-images')], env);
    expect([one.code, one.stderr]).toEqual([
      2,
      'trainyard: missing trainLabels, testImages, testLabels: give the four IDX files\n',
    ]);
    const gone = ['train-images', 'train-labels', 't10k-images', 't10k-labels'].map((f) => join(files, 'gone', f));
    const upload = await cli(['datasets', 'upload', '--name', 'x', ...gone], env);
    expect(upload.code).toBe(2);
    expect(upload.stderr).toMatch(/gone\/train-images: no such file/);
    const unknown = await cli(['fly'], env);
    expect(unknown.code).toBe(2);
    // The API's own 400 (a field past its limit) is bad usage too.
    const big = await cli(['train', '--hidden', '999999'], env);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/\(400 VALIDATION_ERROR\)/);
  });

  it('uploads IDX files, lists them, and predicts image files with the labels the API gives', async () => {
    const idx = makeIdxFiles(200, 50);
    const names = {
      trainImages: 'train-images-idx3-ubyte',
      trainLabels: 'train-labels-idx1-ubyte',
      testImages: 't10k-images-idx3-ubyte',
      testLabels: 't10k-labels-idx1-ubyte',
    };
    const paths = [];
    for (const [field, name] of Object.entries(names)) {
      paths.push(join(files, name));
      await writeFile(join(files, name), idx[field as keyof typeof idx]);
    }
    const up = await cli(['--json', 'datasets', 'upload', '--name', 'from the cli', ...paths], env);
    expect(up.code).toBe(0);
    const dataset = JSON.parse(up.stdout) as { id: string; trainSize: number };
    expect(dataset.trainSize).toBe(200);
    const listed = await cli(['datasets'], env);
    expect(listed.stdout).toMatch(new RegExp(`^${dataset.id} +no +200 +50 +yes +from the cli$`, 'm'));

    const trained = await cli(['--json', 'train', '--epochs', '2', '--follow'], env);
    const modelId = (JSON.parse(trained.stdout.slice(trained.stdout.indexOf('{'))) as TrainingJob).modelId!;
    const images = [];
    for (const k of [3, 7]) {
      images.push(join(files, `digit-${k}.png`));
      await writeFile(join(files, `digit-${k}.png`), syntheticPng(k));
    }
    const run = await cli(['predict', '--model', modelId, ...images], env);
    expect(run.code).toBe(0);
    const form = new FormData();
    for (const k of [3, 7])
      form.append('image', new Blob([new Uint8Array(syntheticPng(k))], { type: 'image/png' }), `digit-${k}.png`);
    const answer = (await (
      await fetch(`${env.TRAINYARD_URL}/v1/models/${modelId}/predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: form,
      })
    ).json()) as { predictions: { label: string }[] };
    const rows = run.stdout.trim().split('\n').slice(1, 3);
    expect(rows.map((r) => r.split(/ {2,}/)[1])).toEqual(answer.predictions.map((p) => p.label));
    expect(run.stdout).toMatch(/^model \S+ version \d+/m);
  });

  it("uploads IDX files of three named classes with their rule, and shows the API's refusal of a bad rule", async () => {
    const idx = makeIdxFiles(30, 9, 3);
    const paths = [];
    for (const [field, name] of Object.entries({
      trainImages: 'shapes-train-images',
      trainLabels: 'shapes-train-labels',
      testImages: 'shapes-test-images',
      testLabels: 'shapes-test-labels',
    })) {
      paths.push(join(files, name));
      await writeFile(join(files, name), idx[field as keyof typeof idx]);
    }
    const args = ['--json', 'datasets', 'upload', '--name', 'shapes', '--labels', 'circle,square,star'];
    const up = await cli([...args, '--preprocess', 'fit', ...paths], env);
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({
      classes: 3,
      labels: ['circle', 'square', 'star'],
      preprocess: 'fit',
    });
    const bad = await cli([...args, '--preprocess', 'blur', ...paths], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/field "preprocess" must be one of mnist, fit/);
  });
});
