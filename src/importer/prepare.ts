import { DomainError, PayloadTooLargeError } from '../errors.js';
import { sniffFormat } from '../inference/decode.js';
import { preprocessImage } from '../inference/preprocess.js';
import type { PreprocessRule } from '../schemas/dataset-import.js';

/**
 * One image file as the network will see it: through predict's own decoding, bounds and
 * conversion (`preprocessImage`), so that training and serving prepare images identically.
 */

export interface PrepareLimits {
  maxPixels: number;
  maxDecodeBytes: number;
}

/** 784 bytes, or the reason the file is skipped. */
export async function prepareImage(
  buf: Uint8Array,
  rule: PreprocessRule,
  limits: PrepareLimits,
): Promise<Uint8Array | { skip: string }> {
  if (!sniffFormat(buf)) return { skip: 'unsupported format (the content is not PNG, JPEG, WebP, GIF or BMP)' };
  try {
    return await preprocessImage(buf, { maxPixels: limits.maxPixels, maxDecodeBytes: limits.maxDecodeBytes }, rule);
  } catch (err) {
    if (err instanceof PayloadTooLargeError) return { skip: `too large: ${err.message}` };
    if (err instanceof DomainError) return { skip: `corrupt: ${err.message}` };
    throw err;
  }
}

const IMAGE_EXTS = new Set(['png', 'jpg', 'jpeg', 'bmp', 'webp', 'gif']);
const OTHER_IMAGE_EXTS = new Set(['tif', 'tiff', 'svg', 'heic', 'heif', 'avif', 'ico', 'psd', 'jxl', 'jp2', 'raw']);
const ARCHIVE_EXTS = new Set(['zip', 'tar', 'gz', 'tgz', 'bz2', 'xz', '7z', 'rar', 'zst']);

/** Why a file is skipped by its name alone, or undefined when it is to be decoded. */
export function skipByName(path: string): string | undefined {
  const segments = path.split('/');
  if (segments.some((s) => s.startsWith('.') || s === '__MACOSX' || s === 'Thumbs.db')) return 'hidden or system file';
  const name = segments.at(-1) ?? '';
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  if (IMAGE_EXTS.has(ext)) return undefined;
  if (ARCHIVE_EXTS.has(ext)) return 'nested archive (archives inside the archive are not unpacked)';
  if (OTHER_IMAGE_EXTS.has(ext)) return `unsupported format (.${ext}; accepted: ${[...IMAGE_EXTS].join(', ')})`;
  return 'not an image';
}

/** A nested archive whose name pretends to be an image. */
export function isArchiveBytes(buf: Uint8Array): boolean {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length >= 4 && b.readUInt32LE(0) === 0x04034b50) return true; // PK\3\4
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true; // gzip
  return b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar';
}
