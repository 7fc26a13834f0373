import type { Readable } from 'node:stream';

/** An object opened for reading: its size in bytes (for Content-Length) and a stream of them. */
export interface ObjectStream {
  body: Readable;
  size: number;
}

/**
 * Where models, checkpoints and uploaded datasets live: a flat object store keyed by
 * slash-separated paths, implemented on a local directory or on S3-compatible storage.
 * Each object is written whole or not at all; anything spanning several objects (a model,
 * a dataset) commits by writing a marker object last and is only ever found through it.
 */
export interface ObjectStorage {
  /** For logs and the readiness report, without credentials: `file:<dir>` or `s3://bucket/prefix`. */
  readonly location: string;
  /** Creates or replaces the object; readers see the old bytes or the new, never a mix. */
  put(key: string, body: Uint8Array): Promise<void>;
  /**
   * put() with the bytes of a local file, streamed rather than read into memory (dataset files
   * of up to 1 GiB). The file is left in place and must not change meanwhile.
   */
  putFile(key: string, path: string): Promise<void>;
  /** Creates the object only if the key is free: false (and nothing written) when it is taken. */
  putIfAbsent(key: string, body: Uint8Array): Promise<boolean>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * The object as a stream with its size, or undefined when there is none: large objects reach a
   * client without being held whole in memory. The caller must read `body` to its end or destroy it.
   */
  getStream(key: string): Promise<ObjectStream | undefined>;
  /** Every key under `prefix` (which ends with `/`), at any depth, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every object under `prefix` (which ends with `/`). */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Fails when the store cannot be reached or written (the readiness probe), within about
   * `timeoutMs`: one cheap call.
   */
  check(timeoutMs: number): Promise<void>;
}

// Segments a store ever builds: ids, file names, revisions. A leading dot is excluded so the
// filesystem implementation can keep its temporary files next to the real ones, unseen.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Guards both implementations against keys that could escape their directory or prefix. */
export function checkKey(key: string): string {
  if (!isValidPath(key)) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  return key;
}

export function checkPrefix(prefix: string): string {
  if (!prefix.endsWith('/') || !isValidPath(prefix.slice(0, -1))) {
    throw new Error(`invalid storage prefix: ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

const isValidPath = (path: string) => path.split('/').every((s) => SEGMENT.test(s));

/**
 * Writes several objects at once and returns when every write has finished, failing with the
 * first error: a caller cleaning up after a failure must not race writes still in flight.
 */
export async function putAll(storage: ObjectStorage, objects: [key: string, body: Uint8Array][]): Promise<void> {
  const results = await Promise.allSettled(objects.map(([key, body]) => storage.put(key, body)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
