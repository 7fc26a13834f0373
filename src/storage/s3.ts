import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { UnavailableError } from '../errors.js';
import { checkKey, checkPrefix, type ObjectStorage } from './types.js';

export interface S3StorageOptions {
  bucket: string;
  /** Prepended to every key; empty or ending with `/`. */
  prefix: string;
  /** For MinIO and other S3-compatible services; unset: AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Unset: the SDK's own lookup (AWS_REGION, the shared config file). */
  region?: string;
  /** Unset: the SDK's default chain (AWS_ACCESS_KEY_ID…, profiles, instance and task roles). */
  credentials?: S3ClientConfig['credentials'];
  /** Longest silence on a connection; the SDK's default is none, so a stalled endpoint would hang callers. */
  idleTimeoutMs?: number;
}

/** Keys deleted at once by deletePrefix: prefixes hold a handful of objects (a model, a dataset). */
const DELETE_PARALLEL = 8;

/**
 * Objects in an S3 bucket under a key prefix. A PUT replaces an object atomically, so
 * readers never see half of one. putIfAbsent is a conditional write (`If-None-Match: *`),
 * honoured by AWS S3, MinIO and Cloudflare R2.
 */
export function createS3Storage(opts: S3StorageOptions): ObjectStorage {
  const client = new S3Client({
    endpoint: opts.endpoint || undefined,
    forcePathStyle: opts.forcePathStyle,
    region: opts.region || undefined,
    credentials: opts.credentials,
    // Checksums only where S3 demands them: several S3-compatible servers reject or
    // mis-handle the CRC32 headers the SDK otherwise sends on every request.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A stalled connection fails after idleTimeoutMs without a byte; a slow but moving upload of
    // a large dataset file does not.
    requestHandler: { connectionTimeout: 5000, socketTimeout: opts.idleTimeoutMs ?? 30_000 },
  });
  const { bucket, prefix: base } = opts;
  const location = `s3://${bucket}/${base}`;
  const full = (key: string) => `${base}${checkKey(key)}`;

  /** Any failure the caller cannot fix (network, credentials, the service) is a 503, not a 500. */
  function unavailable(err: unknown): UnavailableError {
    const status = statusOf(err);
    const reason = `${(err as Error)?.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}`;
    return new UnavailableError(`object storage ${location} is unavailable: ${reason}`, 'STORAGE_UNAVAILABLE');
  }

  async function send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw unavailable(err);
    }
  }

  async function listFull(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await send(() =>
        client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${base}${prefix}`, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(base.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  return {
    location,

    async put(key, body) {
      const command = new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: body });
      await send(() => client.send(command));
    },

    async putFile(key, path) {
      // One PUT streamed from the file with its length given, so nothing is buffered (a single
      // PUT takes up to 5 GiB; dataset files are at most 1 GiB).
      const target = full(key);
      const { size } = await stat(path);
      const body = createReadStream(path);
      const command = new PutObjectCommand({ Bucket: bucket, Key: target, Body: body, ContentLength: size });
      try {
        await send(() => client.send(command));
      } finally {
        body.destroy();
      }
    },

    async putIfAbsent(key, body) {
      const command = new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: body, IfNoneMatch: '*' });
      try {
        await client.send(command);
        return true;
      } catch (err) {
        if (statusOf(err) === 412) return false;
        throw unavailable(err);
      }
    },

    async get(key) {
      const command = new GetObjectCommand({ Bucket: bucket, Key: full(key) });
      try {
        const res = await client.send(command);
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw unavailable(err);
      }
    },

    async getStream(key) {
      const command = new GetObjectCommand({ Bucket: bucket, Key: full(key) });
      try {
        const res = await client.send(command);
        const body = res.Body as Readable;
        if (typeof res.ContentLength !== 'number') {
          body.destroy();
          throw new Error('GetObject answered without a Content-Length');
        }
        return { body, size: res.ContentLength };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw unavailable(err);
      }
    },

    async list(prefix) {
      return listFull(checkPrefix(prefix));
    },

    async delete(key) {
      const command = new DeleteObjectCommand({ Bucket: bucket, Key: full(key) });
      await send(() => client.send(command));
    },

    async check(timeoutMs) {
      // A listing works on every S3-compatible server and needs only read rights; a missing
      // bucket, bad credentials or an unreachable endpoint all fail it. Its prefix is one no key
      // of ours has (keys never start with a dot), so the answer is empty however full the bucket.
      // Aborted at the deadline, retries included: a stalled endpoint must not pile up probes.
      const command = new ListObjectsV2Command({ Bucket: bucket, Prefix: `${base}.ready`, MaxKeys: 1 });
      await send(() => client.send(command, { abortSignal: AbortSignal.timeout(timeoutMs) }));
    },

    async deletePrefix(prefix) {
      // One DeleteObject per key rather than DeleteObjects: the batch call needs a Content-MD5
      // or checksum header that not every S3-compatible server accepts.
      const keys = await listFull(checkPrefix(prefix));
      for (let i = 0; i < keys.length; i += DELETE_PARALLEL) {
        await Promise.all(
          keys
            .slice(i, i + DELETE_PARALLEL)
            .map((k) => send(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${base}${k}` })))),
        );
      }
    },
  };
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
