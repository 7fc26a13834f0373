/**
 * A minimal PNG writer for tests: grey, grey+alpha, RGB or RGBA at 8 or 16 bits, every row
 * unfiltered, valid CRCs. It writes layouts sharp's encoder does not (grey+alpha), and its
 * chunks can be taken apart to build files that lie.
 */
import { crc32, deflateSync } from 'node:zlib';

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One chunk: length, type, data and the CRC of type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG colour type by samples per pixel. */
const COLOUR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

export interface PngImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** Interleaved samples, row-major: bytes at 8 bits, 16-bit values (written big-endian) at 16. */
  data: ArrayLike<number>;
  depth?: 8 | 16;
}

export function encodePng({ width, height, channels, data, depth = 8 }: PngImage): Buffer {
  const bytes = depth / 8;
  const stride = width * channels * bytes;
  const raw = Buffer.alloc(height * (1 + stride));
  for (let y = 0; y < height; y++)
    for (let i = 0; i < width * channels; i++) {
      const v = data[y * width * channels + i] ?? 0;
      const at = y * (1 + stride) + 1 + i * bytes;
      if (depth === 16) raw.writeUInt16BE(v, at);
      else raw[at] = v;
    }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([depth, COLOUR_TYPE[channels], 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from(PNG_SIGNATURE),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}
