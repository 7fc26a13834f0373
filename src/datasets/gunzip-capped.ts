import zlib from 'node:zlib';
import { InvalidInputError } from '../errors.js';
import { declaredIdxSize, IDX_HEADER_BYTES } from './idx.js';

/**
 * Gunzip for IDX data that never inflates more than the file's own header declares, and refuses
 * a declared size over the caller's limit before inflating the rest: the defence against gzip bombs.
 */

export function gzipError(what: string, err: unknown): InvalidInputError {
  const detail = err instanceof Error ? err.message : String(err);
  return new InvalidInputError(`${what}: not valid gzip data (${detail})`, 'INVALID_GZIP');
}

/** The largest IDX header read before the declared size is known (3 dims: 4 + 3×4 bytes). */
const HEAD_BYTES = IDX_HEADER_BYTES.images;
/** Most output one header probe may produce; far more than any real file yields before 16 bytes. */
const HEAD_PROBE_CAP = 64 * 1024;

/** Inflates the first `n` input bytes as far as they go, or 'over' past HEAD_PROBE_CAP bytes of output. */
function probe(buf: Uint8Array, n: number, what: string): Buffer | 'over' {
  try {
    // A sync flush returns what has been decoded so far instead of failing on the cut-off end.
    return zlib.gunzipSync(buf.subarray(0, n), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: HEAD_PROBE_CAP,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return 'over';
    throw gzipError(what, err);
  }
}

/**
 * Decompresses just enough of a gzip stream to see the IDX header, never more than
 * HEAD_PROBE_CAP bytes. Growing prefixes find it at once in real files; a crafted file that
 * hides a bomb behind a long gzip header or empty deflate blocks makes a prefix overshoot
 * the cap, and a binary search then narrows down to a prefix in between, which exists
 * because one more input byte adds at most ~1 KB of output (deflate's 1032:1 limit).
 */
function inflateHead(buf: Uint8Array, what: string): Buffer {
  let lo = 0; // a prefix known to give fewer than HEAD_BYTES bytes
  let hi = -1; // a prefix known to give more than HEAD_PROBE_CAP bytes
  for (let n = Math.min(256, buf.length); hi < 0; n = Math.min(n * 4, buf.length)) {
    const out = probe(buf, n, what);
    if (out === 'over') hi = n;
    else if (out.length >= HEAD_BYTES) return out;
    else if (n === buf.length) {
      // The whole stream gives less than a header: a strict pass reports a truncated stream;
      // otherwise the tiny output goes to the parser, which names what is missing.
      try {
        return zlib.gunzipSync(buf, { maxOutputLength: HEAD_BYTES });
      } catch (err) {
        throw gzipError(what, err);
      }
    } else lo = n;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const out = probe(buf, mid, what);
    if (out === 'over') hi = mid;
    else if (out.length >= HEAD_BYTES) return out;
    else lo = mid;
  }
  throw new InvalidInputError(`${what}: not valid gzip data (no IDX header within its first bytes)`, 'INVALID_GZIP');
}

/**
 * Un-gzips IDX data if it starts with the gzip magic (1f 8b), else returns it unchanged.
 * The header is inflated first and a file declaring more than `maxBytes` is refused before
 * the rest is inflated; the full inflation is then capped at the declared size, so a gzip
 * bomb never expands beyond what its header announced.
 */
export function inflateIdx(buf: Uint8Array, what: string, maxBytes: number): Uint8Array {
  const plan = planInflate(buf, what, maxBytes);
  if (plan instanceof Uint8Array) return plan;
  try {
    return zlib.gunzipSync(buf, { maxOutputLength: plan });
  } catch (err) {
    throw inflateError(what, plan, err);
  }
}

/** The data itself when there is nothing to inflate, else the size to inflate to (checked against maxBytes). */
function planInflate(buf: Uint8Array, what: string, maxBytes: number): Uint8Array | number {
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf;
  const head = inflateHead(buf, what);
  const declared = declaredIdxSize(head);
  // Not an IDX header: the decoded prefix is enough for the parser to name the wrong magic.
  if (!declared) return head;
  if (declared.bytes > maxBytes) {
    throw new InvalidInputError(
      `${what}: header declares ${declared.items} ${declared.kind} (${declared.bytes} bytes uncompressed), ` +
        `more than the limit of ${maxBytes} bytes`,
      'IDX_TOO_LARGE',
    );
  }
  return declared.bytes;
}

function inflateError(what: string, declaredBytes: number, err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new InvalidInputError(
      `${what}: decompresses to more than the ${declaredBytes} bytes its header declares`,
      'INVALID_IDX',
    );
  }
  return gzipError(what, err);
}
