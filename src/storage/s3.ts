import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
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
  });
  const { bucket, prefix: base } = opts;
  const full = (key: string) => `${base}${checkKey(key)}`;

  async function listFull(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: `${base}${prefix}`, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(base.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  return {
    location: `s3://${bucket}/${base}`,

    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: body }));
    },

    async putIfAbsent(key, body) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: body, IfNoneMatch: '*' }));
        return true;
      } catch (err) {
        if (statusOf(err) === 412) return false;
        throw err;
      }
    },

    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },

    async list(prefix) {
      return listFull(checkPrefix(prefix));
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: full(key) }));
    },

    async deletePrefix(prefix) {
      // One DeleteObject per key rather than DeleteObjects: the batch call needs a Content-MD5
      // or checksum header that not every S3-compatible server accepts.
      const keys = await listFull(checkPrefix(prefix));
      for (let i = 0; i < keys.length; i += DELETE_PARALLEL) {
        await Promise.all(
          keys
            .slice(i, i + DELETE_PARALLEL)
            .map((k) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${base}${k}` }))),
        );
      }
    },
  };
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
