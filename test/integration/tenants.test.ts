import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { multipart } from '../helpers/http.js';
import { syntheticPng } from '../helpers/model.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

const A = 'team-a-key-0123456789abcdef';
const B = 'team-b-key-0123456789abcdef';
const C = 'team-c-key-0123456789abcdef';
const ADMIN = 'operator-key-0123456789abcd';
const portOf = () => 30000 + Math.floor(Math.random() * 20000);

// Two tenants on one deployment of real processes: an API and two workers sharing Redis and storage.
describe('two tenants training at once on two workers', () => {
  let config: Config;
  let keysFile: string;
  let api: RunningProcess;
  let workers: RunningProcess[];
  let base: string;

  const call = async (key: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
    });
    return {
      status: res.status,
      body: res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>),
    };
  };
  const upload = async (key: string, name: string) => {
    const { headers, payload } = await multipart([['name', name], ...Object.entries(makeIdxFiles(300, 50))]);
    const res = await call(key, '/v1/datasets', { method: 'POST', headers, body: new Uint8Array(payload) });
    expect(res.status).toBe(201);
    return res.body!.id as string;
  };
  const submit = async (key: string, dataset: string) => {
    const res = await call(key, '/v1/training-jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset, epochs: 3, batchSize: 16 }),
    });
    expect(res.status).toBe(202);
    return res.body!.id as string;
  };
  const finished = (key: string, id: string) =>
    waitFor(async () => {
      const job = (await call(key, `/v1/training-jobs/${id}`)).body as unknown as TrainingJob;
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    }, 120_000);
  const ids = async (key: string, path: string) =>
    ((await call(key, path)).body!.items as { id: string }[]).map((i) => i.id);

  beforeAll(async () => {
    const base0 = await testConfig();
    keysFile = join(base0.DATA_DIR, 'keys.txt');
    await writeFile(keysFile, `${A}:train+predict:team-a\n${B}:train+predict:team-b\n${ADMIN}:admin:ops\n`);
    config = { ...base0, PORT: portOf(), API_KEYS_FILE: keysFile };
    base = `http://127.0.0.1:${config.PORT}`;
    [api, ...workers] = await Promise.all([startApi(config), startWorker(config), startWorker(config)]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), ...(workers ?? []).map((w) => w.stop())]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('keeps each tenant to its own jobs, datasets and models, while an admin sees both', async () => {
    const [dataA, spareA, dataB] = await Promise.all([upload(A, 'a'), upload(A, 'a spare'), upload(B, 'b')]);
    const [jobA, jobB] = await Promise.all([submit(A, dataA), submit(B, dataB)]);
    // Both run at once, one on each worker.
    await waitFor(async () => {
      const states = await Promise.all([call(A, `/v1/training-jobs/${jobA}`), call(B, `/v1/training-jobs/${jobB}`)]);
      return states.every((s) => s.body!.state === 'running') ? true : undefined;
    });
    // Meanwhile A removes its own spare dataset, and cannot touch B's.
    expect((await call(A, `/v1/datasets/${spareA}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(A, `/v1/datasets/${dataB}`, { method: 'DELETE' })).status).toBe(404);
    expect((await call(A, `/v1/training-jobs/${jobB}/cancel`, { method: 'POST' })).status).toBe(404);

    const [doneA, doneB] = await Promise.all([finished(A, jobA), finished(B, jobB)]);
    expect([doneA.state, doneB.state]).toEqual(['completed', 'completed']);
    expect(await ids(A, '/v1/training-jobs')).toEqual([jobA]);
    expect(await ids(B, '/v1/training-jobs')).toEqual([jobB]);
    expect(await ids(A, '/v1/models')).toEqual([doneA.modelId]);
    expect(await ids(B, '/v1/models')).toEqual([doneB.modelId]);
    expect((await ids(ADMIN, '/v1/models')).sort()).toEqual([doneA.modelId, doneB.modelId].sort());
    expect((await ids(ADMIN, '/v1/training-jobs')).sort()).toEqual([jobA, jobB].sort());

    // The workers stored each model under its job's tenant.
    expect(existsSync(join(config.DATA_DIR, 'tenants/team-a/models', doneA.modelId!, 'metadata.json'))).toBe(true);
    expect(existsSync(join(config.DATA_DIR, 'tenants/team-b/models', doneB.modelId!, 'metadata.json'))).toBe(true);

    // Each predicts with its own models only; the newest model is the tenant's own.
    const png = { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(syntheticPng(4)) };
    expect((await call(A, `/v1/models/${doneA.modelId}/predict`, png)).status).toBe(200);
    expect((await call(A, `/v1/models/${doneB.modelId}/predict`, png)).status).toBe(404);
    expect((await call(B, '/v1/predict', png)).body).toMatchObject({ modelId: doneB.modelId });
    expect((await call(A, '/v1/predict', png)).body).toMatchObject({ modelId: doneA.modelId });
  });

  it('takes a new tenant from the keys file on SIGHUP, without a restart', async () => {
    expect((await call(C, '/v1/whoami')).status).toBe(401);
    await writeFile(
      keysFile,
      `${A}:train+predict:team-a\n${B}:train+predict:team-b\n${ADMIN}:admin:ops\n${C}:predict:team-c\n`,
    );
    api.proc.kill('SIGHUP');
    const me = await waitFor(async () => {
      const res = await call(C, '/v1/whoami');
      return res.status === 200 ? res.body : undefined;
    }, 10_000);
    expect(me).toMatchObject({ tenant: 'team-c', scopes: ['predict'] });
    // C sees none of the others' models and has none to predict with.
    expect(await ids(C, '/v1/models')).toEqual([]);
    const png = { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(syntheticPng(4)) };
    expect((await call(C, '/v1/predict', png)).body).toMatchObject({ code: 'NO_MODEL' });
  });
});
