import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import { createCheckpointStore } from '../../src/models/checkpoints.js';
import { createS3Storage } from '../../src/storage/s3.js';
import { buildTestApp } from '../helpers/app.js';
import { S3_BUCKET, S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
/** Accepts connections and never answers, as a stalled endpoint does. */
let silent: Server;
const sockets: Socket[] = [];
let silentPort: number;
/** A port nothing listens on. */
let closedPort: number;

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );

beforeAll(async () => {
  s3 = await startS3();
  silent = createServer((socket) => sockets.push(socket));
  silentPort = await listen(silent);
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await s3?.close();
});

const storageAt = (endpoint: string, credentials = S3_CREDENTIALS) =>
  createS3Storage({
    bucket: S3_BUCKET,
    prefix: 'failures/',
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials,
    idleTimeoutMs: 300,
  });

async function failure(promise: Promise<unknown>): Promise<UnavailableError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnavailableError);
  expect(err).toMatchObject({ statusCode: 503, code: 'STORAGE_UNAVAILABLE' });
  return err as UnavailableError;
}

describe('S3 storage failures', () => {
  it('reports refused credentials as unavailable storage, naming the location and status', async () => {
    const storage = storageAt(s3.endpoint, { accessKeyId: 'NOBODY', secretAccessKey: 'wrong' });
    const err = await failure(storage.put('a.bin', Buffer.from('x')));
    expect(err.message).toMatch(/^object storage s3:\/\/trainyard-test\/failures\/ is unavailable: \w+ \(HTTP 403\)$/);
    await failure(storage.get('a.bin'));
    await failure(storage.list('models/'));
    await failure(storage.check(1000));
  });

  it('fails the readiness check for a bucket that does not exist', async () => {
    const storage = createS3Storage({
      bucket: 'no-such-bucket',
      prefix: '',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: S3_CREDENTIALS,
    });
    const err = await failure(storage.check(1000));
    expect(err.message).toMatch(/^object storage s3:\/\/no-such-bucket\/ is unavailable: NoSuchBucket \(HTTP 404\)$/);
    await expect(storageAt(s3.endpoint).check(1000)).resolves.toBeUndefined();
  });

  it('gives up on an endpoint that never answers instead of hanging', async () => {
    const storage = storageAt(`http://127.0.0.1:${silentPort}`);
    await failure(storage.get('models/x/metadata.json'));
    await failure(storage.putIfAbsent('models/x/metadata.json', Buffer.from('{}')));
  });

  it('reports an endpoint nobody listens on as unavailable', async () => {
    const storage = storageAt(`http://127.0.0.1:${closedPort}`);
    await failure(storage.list('datasets/'));
    // A worker resuming a job then retries it later instead of starting it over.
    await failure(createCheckpointStore({ storage }).load('job-1'));
  });

  it('still refuses invalid keys as a programming error, not as an outage', async () => {
    await expect(storageAt(`http://127.0.0.1:${closedPort}`).get('../x')).rejects.toThrow('invalid storage key');
  });
});

describe('the API while S3 is unreachable', () => {
  it('answers 503 STORAGE_UNAVAILABLE for models, predictions and datasets', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
    const t = await buildTestApp({
      STORAGE_URL: `s3://${S3_BUCKET}/down`,
      S3_ENDPOINT: `http://127.0.0.1:${closedPort}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
    });
    try {
      for (const [method, url] of [
        ['GET', '/v1/models'],
        ['GET', '/v1/models/3d7f0c2e-9a41-4b6e-8f15-2c9d7e4a1b60'],
        ['GET', '/v1/datasets'],
      ] as const) {
        const res = await t.app.inject({ method, url });
        expect(res.statusCode, url).toBe(503);
        expect(res.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE', statusCode: 503 });
      }
      // By id: the model is read from storage (by name, the registry in Redis answers first).
      const predicted = await t.app.inject({
        method: 'POST',
        url: '/v1/predict?model=3d7f0c2e-9a41-4b6e-8f15-2c9d7e4a1b60',
        payload: { pixels: new Array(784).fill(0) },
      });
      expect(predicted.statusCode).toBe(503);
      expect(predicted.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', redis: 'ok', storage: 'unreachable', backend: 'wasm' });
    } finally {
      await t.close();
      process.env = saved;
    }
  });
});
