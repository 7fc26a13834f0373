import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { syntheticPng } from '../helpers/model.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';
import { S3_BUCKET, S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3-server.js';

type Json = Record<string, unknown>;

/**
 * The registry's rules on real processes: two API replicas and a worker, sharing only Redis and
 * an S3 bucket. Jobs name their model and a promote rule; predictions by name, alias and version
 * must answer the right version on either replica as soon as a job reports completed, and an
 * alias moved on one replica must be seen by the other within a second.
 */
describe('named models on two replicas', () => {
  let s3: TestS3;
  const configs: Config[] = [];
  const processes: RunningProcess[] = [];
  let a: string;
  let b: string;
  let dataset: string;

  const call = async (base: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, init);
    return { status: res.status, body: res.status === 204 ? {} : ((await res.json()) as Json) };
  };
  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const predict = (base: string, path: string) =>
    call(base, path, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(syntheticPng(4)),
    });
  /** Submits on replica A and returns the job once replica A reports it finished. */
  const train = async (body: Json) => {
    const queued = await call(
      a,
      '/v1/training-jobs',
      json('POST', { dataset, epochs: 2, batchSize: 32, hiddenLayers: [16], ...body }),
    );
    expect(queued.status).toBe(202);
    const done = await waitFor(async () => {
      const job = (await call(a, `/v1/training-jobs/${queued.body.id as string}`)).body as unknown as TrainingJob;
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    }, 150_000);
    expect(done.error, processes.map((p) => p.output()).join('\n')).toBeNull();
    return done;
  };

  beforeAll(async () => {
    s3 = await startS3();
    const shared = {
      STORAGE_URL: `s3://${S3_BUCKET}/registry`,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
    };
    const first = await testConfig(shared);
    for (let i = 0; i < 3; i++) {
      const own = i === 0 ? first : await testConfig(shared);
      configs.push({ ...own, QUEUE_PREFIX: first.QUEUE_PREFIX, PORT: 30000 + Math.floor(Math.random() * 20000) });
    }
    const credentials = {
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    };
    processes.push(
      ...(await Promise.all([
        startApi(configs[0]!, credentials),
        startApi(configs[1]!, credentials),
        startWorker(configs[2]!, credentials),
      ])),
    );
    a = `http://127.0.0.1:${configs[0]!.PORT}`;
    b = `http://127.0.0.1:${configs[1]!.PORT}`;
    const form = new FormData();
    form.append('name', 'digits data');
    for (const [field, buf] of Object.entries(makeIdxFiles(200, 40))) {
      form.append(field, new Blob([new Uint8Array(buf)]), `${field}.idx`);
    }
    const upload = await fetch(`${a}/v1/datasets`, { method: 'POST', body: form });
    expect(upload.status).toBe(201);
    dataset = ((await upload.json()) as { id: string }).id;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all(configs.map((c) => rm(c.DATA_DIR, { recursive: true, force: true })));
    await s3?.close();
  });

  it(
    'serves a completed job by name, alias and version on the other replica at once',
    { timeout: 200_000 },
    async () => {
      // B answers before any model exists, so a stale "no model" would show if it were cached.
      expect((await predict(b, '/v1/models/digits/predict')).body).toMatchObject({ code: 'MODEL_NOT_FOUND' });
      const first = await train({ model: 'digits', seed: 1, promote: { alias: 'production' } });
      expect(first).toMatchObject({
        state: 'completed',
        model: 'digits',
        modelVersion: 1,
        promotion: { alias: 'production', promoted: true, from: null },
      });
      for (const path of ['/v1/models/digits/predict', '/v1/models/digits@production/predict', '/v1/predict']) {
        const answer = await predict(b, path);
        expect([path, answer.status, answer.body.model]).toEqual([
          path,
          200,
          { name: 'digits', version: 1, alias: 'production' },
        ]);
      }
      const version = (await call(b, '/v1/models/digits/versions/1')).body;
      expect(version).toMatchObject({
        id: first.modelId,
        aliases: ['latest', 'production'],
        metrics: { testAccuracy: first.metrics!.testAccuracy, confusionMatrix: first.metrics!.confusionMatrix },
        lineage: {
          jobId: first.id,
          seed: 1,
          dataset,
          datasetDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
          backend: expect.any(String),
          serviceVersion: expect.stringMatching(/^\d+\.\d+\.\d+/),
          createdBy: 'ip:127.0.0.1',
        },
      });
    },
  );

  it('adds a second version without moving an alias its rule does not allow', { timeout: 200_000 }, async () => {
    expect((await call(a, '/v1/models/digits/aliases/staging', json('PUT', { version: 1 }))).status).toBe(200);
    const second = await train({
      model: 'digits',
      seed: 2,
      promote: { alias: 'production', if: { metric: 'testAccuracy', atLeast: 1.5 } },
    });
    expect(second).toMatchObject({
      modelVersion: 2,
      promotion: {
        alias: 'production',
        promoted: false,
        from: 1,
        reason: expect.stringMatching(/below the required 1.5/),
      },
    });
    // At once on B: latest is the new version; production and staging still hold version 1.
    expect((await predict(b, '/v1/models/digits@latest/predict')).body).toMatchObject({
      modelId: second.modelId,
      model: { version: 2, alias: 'latest' },
    });
    expect((await predict(b, '/v1/models/digits/predict')).body).toMatchObject({
      model: { version: 1, alias: 'production' },
    });
    expect((await predict(b, '/v1/models/digits/versions/2/predict')).body).toMatchObject({ model: { version: 2 } });
    expect((await call(b, '/v1/models/digits')).body).toMatchObject({
      aliases: { latest: 2, production: 1, staging: 1 },
    });
    // Same data, same digest.
    const versions = (await call(b, '/v1/models/digits/versions')).body.items as {
      lineage: { datasetDigest: string };
    }[];
    expect(new Set(versions.map((v) => v.lineage.datasetDigest)).size).toBe(1);
  });

  it(
    'shows an alias moved on one replica on the other within a second, and rolls back',
    { timeout: 30_000 },
    async () => {
      // Both replicas have production cached at version 1.
      for (const base of [a, b])
        expect((await predict(base, '/v1/models/digits/predict')).body).toMatchObject({ model: { version: 1 } });
      const moved = await call(
        a,
        '/v1/models/digits/aliases/production',
        json('PUT', { version: 2, expectedVersion: 1 }),
      );
      expect(moved).toEqual({ status: 200, body: { alias: 'production', version: 2, from: 1 } });
      expect((await predict(a, '/v1/models/digits/predict')).body).toMatchObject({ model: { version: 2 } });
      const seen = await waitFor(
        async () => {
          const answer = await predict(b, '/v1/models/digits/predict');
          return (answer.body.model as { version: number }).version === 2 ? answer : undefined;
        },
        1000,
        50,
      );
      expect(seen.status).toBe(200);
      // Roll back through B; A sees it.
      expect(
        (await call(b, '/v1/models/digits/aliases/production', json('PUT', { version: 1, expectedVersion: 2 }))).status,
      ).toBe(200);
      await waitFor(
        async () => {
          const answer = await predict(a, '/v1/models/digits/predict');
          return (answer.body.model as { version: number }).version === 1 ? answer : undefined;
        },
        1000,
        50,
      );
      const history = (await call(a, '/v1/models/digits/history')).body.items as Json[];
      expect(history.slice(0, 3).map((h) => [h.alias, h.from, h.to])).toEqual([
        ['production', 2, 1],
        ['production', 1, 2],
        ['staging', null, 1],
      ]);
    },
  );

  it('lets one of two concurrent promotes through different replicas win; the other gets 409', async () => {
    const [x, y] = await Promise.all([
      call(a, '/v1/models/digits/aliases/production', json('PUT', { version: 2, expectedVersion: 1 })),
      call(b, '/v1/models/digits/aliases/production', json('PUT', { version: 2, expectedVersion: 1 })),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    expect((x.status === 409 ? x : y).body).toMatchObject({ code: 'ALIAS_CONFLICT' });
  });

  it('refuses to delete an aliased version, and deletes the model with everything on either replica', async () => {
    const refused = await call(b, '/v1/models/digits/versions/2', { method: 'DELETE' });
    expect(refused).toMatchObject({ status: 409, body: { code: 'VERSION_ALIASED' } });
    expect((await call(a, '/v1/models/digits', { method: 'DELETE' })).status).toBe(204);
    expect((await predict(b, '/v1/models/digits/predict')).body).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect((await predict(a, '/v1/predict')).body).toMatchObject({ code: 'NO_MODEL' });
    expect(await s3.storage('registry/').list('models/')).toEqual([]);
  });
});
