import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { createS3Storage } from '../../src/storage/s3.js';
import type { ObjectStorage } from '../../src/storage/types.js';

export const S3_BUCKET = 'trainyard-test';
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  /** A storage on the bucket under a prefix of its own, so tests sharing the server never meet. */
  storage(prefix: string): ObjectStorage;
  close(): Promise<void>;
}

/**
 * A real S3 API (s3rver: objects as files in a temp dir) on a free port of this process.
 * s3rver 3.7 predates S3's conditional writes, which AWS S3, MinIO and R2 honour: it would
 * store a `PUT` with `If-None-Match: *` over an existing object. The middleware added here
 * answers such a PUT with 412 when the key exists, one request per key at a time, as S3 does.
 */
export async function startS3(): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'trainyard-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: S3_BUCKET }],
  });
  const queues = new Map<string, Promise<unknown>>();
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method !== 'PUT' || ctx.headers['if-none-match'] !== '*') return next();
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const id = `${bucket}/${key}`;
    const turn = (queues.get(id) ?? Promise.resolve()).then(async () => {
      if (await server.store.existsObject(bucket, key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
        ctx.req.resume(); // the body is not read: let the request finish
        return;
      }
      await next();
    });
    const settled = turn.catch(() => {});
    queues.set(id, settled);
    try {
      await turn;
    } finally {
      if (queues.get(id) === settled) queues.delete(id);
    }
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    storage: (prefix) =>
      createS3Storage({
        bucket: S3_BUCKET,
        prefix,
        endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: S3_CREDENTIALS,
      }),
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
