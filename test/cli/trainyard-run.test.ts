import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/trainyard.js';
import type { Config } from '../../src/config.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { classFolders, makeCsv, makeZip } from '../helpers/archives.js';
import { syntheticPng } from '../helpers/model.js';
import { freePort } from '../helpers/net.js';
import { startApi, startWorker, type RunningProcess } from '../helpers/processes.js';

const KEY = 'cli-run-key-0123456789abcd';

/** A stream that keeps what is written, a terminal or not. */
function sink(isTTY = false) {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 160;
  return { stream, text: () => text };
}

/** The command in this process: the same code as the `trainyard` binary, its output captured. */
async function cli(args: string[], env: Record<string, string>, tty = false) {
  const out = sink(tty);
  const err = sink();
  const code = await run(args, env, { out: out.stream, err: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('trainyard commands, run in this process against real API and worker processes', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let env: Record<string, string>;
  let files: string;
  let jobId: string;
  let modelId: string;

  beforeAll(async () => {
    const base = await testConfig();
    config = { ...base, PORT: await freePort(), API_KEYS: `${KEY}:train+predict` };
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
    env = { TRAINYARD_URL: `http://127.0.0.1:${config.PORT}`, TRAINYARD_API_KEY: KEY };
    files = await mkdtemp(join(tmpdir(), 'trainyard-cli-run-'));
  });
  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
    await rm(files, { recursive: true, force: true });
  });

  it('trains and follows on a terminal: a finished bar per epoch, the outcome, exit 0', async () => {
    const res = await cli(['train', '--epochs', '2', '--hidden', '32', '--seed', '7', '--follow'], env, true);
    expect(res.code).toBe(0);
    jobId = /^job (\S+) submitted/m.exec(res.stdout)![1]!;
    expect(res.stdout).toMatch(/epoch 1\/2 \[█+\] 100%/);
    expect(res.stdout).toMatch(/epoch 2\/2 \[█+\] 100%/);
    modelId = /^model \S+ version 1 \(id (\S+)\)$/m.exec(res.stdout)![1]!;
    expect(modelId).toBe(jobId);
  });

  it('lists and shows jobs and models, as tables and as JSON', async () => {
    const jobs = await cli(['jobs', '--state', 'completed', '--limit', '5'], env);
    expect(jobs.code).toBe(0);
    expect(jobs.stdout.split('\n')[0]).toMatch(/^ID +STATE +DATASET +EPOCH +LOSS +TEST ACC +CREATED +NAME$/);
    expect(jobs.stdout).toMatch(new RegExp(`^${jobId} +completed +mnist-sample +2/2 `, 'm'));
    const job = await cli(['--json', 'job', jobId], env);
    expect(JSON.parse(job.stdout)).toMatchObject({ id: jobId, state: 'completed', modelId });
    const table = await cli(['job', jobId], env);
    expect(table.stdout).toMatch(/^state +completed$/m);
    // Every job adds a version to a registered model: named by the job, or after its dataset.
    const name = (JSON.parse(job.stdout) as { model: string }).model;
    const models = await cli(['models'], env);
    expect(models.stdout).toMatch(new RegExp(`^${name} +1 +latest=1 `, 'm'));
    const stored = JSON.parse((await cli(['--json', 'models'], env)).stdout) as { items: { id: string }[] };
    expect(stored.items.map((m) => m.id)).toContain(modelId);
    const model = await cli(['model', modelId], env);
    expect(model.stdout).toMatch(/^hidden layers +32$/m);
    expect(model.stdout).toMatch(/^seed +7$/m);
    const followed = await cli(['job', jobId, '--follow'], env);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/^completed: test accuracy/m);
  });

  it('uploads a dataset with a bar on a terminal, and predicts files', async () => {
    const idx = makeIdxFiles(100, 20);
    const paths = [];
    for (const [name, data] of [
      ['train-images.gz', idx.trainImages],
      ['train-labels', idx.trainLabels],
      ['t10k-images', idx.testImages],
      ['t10k-labels', idx.testLabels],
    ] as const) {
      paths.push(join(files, name));
      await writeFile(join(files, name), data);
    }
    const up = await cli(['datasets', 'upload', '--name', 'run', ...paths], env, true);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/upload \[█+\] 100%/);
    expect(up.stdout).toMatch(/^dataset ds_\S+ stored: 100 training and 20 test images$/m);
    const twice = await cli(['datasets', 'upload', '--name', 'x', paths[0]!, paths[0]!], env);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/are both trainImages/);
    const unknown = await cli(['datasets', 'upload', '--name', 'x', join(files, 'notes.txt')], env);
    expect(unknown.stderr).toMatch(/cannot tell which IDX file this is/);
    const png = join(files, 'three.png');
    await writeFile(png, syntheticPng(3));
    const predicted = await cli(['--json', 'predict', png], env);
    expect(predicted.code).toBe(0);
    expect(JSON.parse(predicted.stdout).predictions).toHaveLength(1);
    const missing = await cli(['predict', join(files, 'gone.png')], env);
    expect([missing.code, missing.stderr]).toEqual([2, `trainyard: ${join(files, 'gone.png')}: no such file\n`]);
  });

  it('uploads a ZIP of class folders and CSV files to be imported, and refuses a mix', async () => {
    const zip = join(files, 'shapes.zip');
    await writeFile(zip, await makeZip(classFolders(['a', 'b'], 3)));
    const up = await cli(['datasets', 'upload', '--name', 'shapes', '--seed', '5', '--preprocess', 'fit', zip], env);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^dataset ds_\S+ importing; `trainyard datasets` shows when it is ready$/m);
    const [train, test] = [join(files, 'train.csv'), join(files, 'test.csv')];
    await writeFile(
      train,
      makeCsv(6, (i) => String(i % 2)),
    );
    await writeFile(
      test,
      makeCsv(2, (i) => String(i % 2)),
    );
    const csv = await cli(['--json', 'datasets', 'upload', '--name', 'csv', test, train], env);
    expect(csv.code).toBe(0);
    expect(JSON.parse(csv.stdout)).toMatchObject({ state: 'importing', import: { format: 'csv' } });
    const mixed = await cli(['datasets', 'upload', '--name', 'x', zip, train], env);
    expect([mixed.code, mixed.stderr]).toEqual([
      2,
      'trainyard: give one archive, or one or two CSV files, or four IDX files: not a mix\n',
    ]);
    const bad = await cli(['datasets', 'upload', '--name', 'x', '--test-split', '0.9', zip], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"testSplit" must be a number from 0.05 to 0.5/);
  });

  it('trains named versions, promotes by rule and by hand, compares, and predicts by alias', async () => {
    const first = await cli(
      ['train', '--model', 'digits', '--epochs', '1', '--promote', 'production', '--follow'],
      env,
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^model digits version 1 \(id \S+\)$/m);
    expect(first.stdout).toMatch(/^promoted to @production: /m);
    const second = await cli(
      [
        'train',
        '--model',
        'digits',
        '--epochs',
        '1',
        '--promote',
        'production',
        '--promote-if',
        'testAccuracy>=1.01',
        '--follow',
      ],
      env,
    );
    expect(second.stdout).toMatch(/^model digits version 2 /m);
    expect(second.stdout).toMatch(/^not promoted to @production: /m);
    const models = await cli(['models'], env);
    expect(models.stdout).toMatch(/^digits +2 +(latest=2, production=1|production=1, latest=2) /m);
    const versions = await cli(['model', 'digits'], env);
    expect(versions.stdout).toMatch(/^digits: latest 2, aliases /m);
    expect(versions.stdout).toMatch(/^1 +\S+ +\d+\.\d % +\d\.\d{4} +production /m);
    expect(versions.stdout).toMatch(/^2 +\S+ +\d+\.\d % +\d\.\d{4} +latest /m);
    expect((await cli(['promote', 'digits', '2', '--alias', 'staging'], env)).stdout).toBe(
      'digits@staging -> version 2\n',
    );
    const lost = await cli(['promote', 'digits', '2', '--expected-version', '2'], env);
    expect(lost.code).toBe(1); // production holds 1, not 2: another move won
    expect(lost.stderr).toMatch(/\(409 ALIAS_CONFLICT\)/);
    const png = join(files, 'seven.png');
    await writeFile(png, syntheticPng(7));
    const byAlias = await cli(['predict', '--model', 'digits@staging', png], env);
    expect(byAlias.code).toBe(0);
    expect(byAlias.stdout).toMatch(/^model digits version 2 \(@staging\)$/m);
    const rule = await cli(['train', '--promote', 'production', '--promote-if', 'accuracy>0.5'], env);
    expect(rule.code).toBe(2);
  });

  it('answers errors with their exit codes and the API messages', async () => {
    const notFound = await cli(['job', '00000000-0000-4000-8000-000000000000'], env);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toMatch(/not found \(404 JOB_NOT_FOUND\)/);
    const badUrl = await cli(['--url', 'ftp://x', 'jobs'], env);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--url must be an http\(s\) address/);
    const help = await cli(['train', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--learning-rate <r>/);
    expect((await cli(['--version'], env)).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const lr = await cli(['train', '--learning-rate', 'fast'], env);
    expect([lr.code, lr.stderr]).toEqual([2, 'trainyard: --learning-rate must be a number, not "fast"\n']);
    const hidden = await cli(['train', '--hidden', '12,x'], env);
    expect(hidden.stderr).toMatch(/--hidden takes units per layer joined by commas/);
    const queued = await cli(['--json', 'train', '--epochs', '1'], env);
    const id = (JSON.parse(queued.stdout) as { id: string }).id;
    const cancel = await cli(['cancel', id], env);
    // Queued or already running: cancelled at once or after its batch; a finished one is a 409.
    expect([0, 1]).toContain(cancel.code);
  });
});
