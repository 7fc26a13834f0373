import type { S3StorageOptions } from './s3.js';
import type { ObjectStorage } from './types.js';

export type { ObjectStorage } from './types.js';

export type StorageTarget = { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

/**
 * `STORAGE_URL`: empty or `file:` → DATA_DIR; `file:<dir>` → that directory;
 * `s3://bucket` or `s3://bucket/some/prefix` → that bucket, keys under `some/prefix/`.
 */
export function parseStorageUrl(url: string, dataDir: string): StorageTarget {
  if (url === '' || url === 'file:') return { kind: 'file', dir: dataDir };
  if (url.startsWith('file:')) return { kind: 'file', dir: url.slice('file:'.length).replace(/^\/\/(?=\/)/, '') };
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`STORAGE_URL ${JSON.stringify(url)} is neither file:<dir> nor s3://bucket/prefix`);
  const path = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { kind: 's3', bucket: match[1]!, prefix: path ? `${path}/` : '' };
}

/**
 * The S3 storage, with the AWS SDK loaded on first use: importing it costs every process
 * (API, worker, each training process) start-up time and memory (docs/performance.md), which a
 * deployment on the filesystem should not pay.
 */
export function lazyS3Storage(opts: S3StorageOptions): ObjectStorage {
  let loaded: Promise<ObjectStorage> | undefined;
  const s3 = () => (loaded ??= import('./s3.js').then((m) => m.createS3Storage(opts)));
  return {
    location: `s3://${opts.bucket}/${opts.prefix}`,
    put: async (key, body) => (await s3()).put(key, body),
    putFile: async (key, path) => (await s3()).putFile(key, path),
    putIfAbsent: async (key, body) => (await s3()).putIfAbsent(key, body),
    get: async (key) => (await s3()).get(key),
    getStream: async (key) => (await s3()).getStream(key),
    list: async (prefix) => (await s3()).list(prefix),
    delete: async (key) => (await s3()).delete(key),
    deletePrefix: async (prefix) => (await s3()).deletePrefix(prefix),
    check: async (timeoutMs) => (await s3()).check(timeoutMs),
  };
}
