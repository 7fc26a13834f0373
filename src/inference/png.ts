import { crc32, inflateSync } from 'node:zlib';
import { undecodable, type Raster } from './pixels.js';

/** Samples per pixel of each PNG colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Bit depths each colour type allows. */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** A 10 MiB body holds at most ~870,000 empty chunks; real files have a few dozen. */
const MAX_CHUNKS = 100_000;
/** Deflate cannot compress better than 1032:1 (a 258-byte match in two bits). */
const MAX_DEFLATE_RATIO = 1032;
/**
 * Chunks the inline decoder may meet besides IHDR, IDAT and IEND: ones sharp reads as metadata
 * only, so skipping them gives the same pixels. Any other (iCCP and eXIf change the pixels sharp
 * gives, through the profile and the orientation) leaves the file to sharp.
 */
const PLAIN_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt', 'tIME', 'pHYs', 'gAMA', 'cHRM', 'sRGB']);
/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** What a PNG's chunk structure declares, checked before anything is inflated. */
export interface PngLayout {
  width: number;
  height: number;
  depth: number;
  colour: number;
  channels: number;
  interlaced: boolean;
  /** A palette (PLTE), a colour key (tRNS) or any chunk outside PLAIN_CHUNKS: left to sharp. */
  unusual: boolean;
  idat: Uint8Array[];
  /** Exactly what the image data must inflate to: each row's filter byte and its samples. */
  inflatedBytes: number;
}

const fail = (why: string): never => {
  throw undecodable(why);
};

/** The size IHDR declares, read before the rest so that a huge one is refused whatever follows. */
export function readPngSize(buf: Uint8Array): { width: number; height: number } {
  if (buf.length < 24) fail('PNG header is truncated');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(12) !== 0x49484452) fail('PNG does not start with an IHDR chunk');
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/**
 * Walks every chunk and refuses a file whose structure lies: IHDR not first or not alone,
 * chunks running past the end, IDAT chunks split apart, no IEND or bytes after it, image
 * data too short to hold what IHDR declares. Costs one step per chunk, nothing is inflated.
 */
export function readPngLayout(buf: Uint8Array): PngLayout {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { width, height } = readPngSize(buf);
  if (buf.length < 33) fail('PNG header is truncated');
  if (dv.getUint32(8) !== 13) fail('PNG does not start with an IHDR chunk');
  const [depth = 0, colour = 0, compression, filter, interlace = 0] = buf.subarray(24, 29);
  const channels = CHANNELS[colour] ?? 0;
  if (channels === 0) fail(`PNG colour type ${colour} does not exist`);
  if (!DEPTHS[colour]!.includes(depth)) fail(`PNG colour type ${colour} cannot have ${depth}-bit samples`);
  if (compression !== 0 || filter !== 0 || interlace > 1)
    fail('PNG header names an unknown compression, filter or interlace method');

  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let idatClosed = false;
  let unusual = false;
  let offset = 33;
  for (let chunks = 1; ; chunks++) {
    if (chunks > MAX_CHUNKS) fail(`PNG has more than ${MAX_CHUNKS.toLocaleString('en-US')} chunks`);
    if (offset + 12 > buf.length) fail('PNG is truncated: it ends without an IEND chunk');
    const length = dv.getUint32(offset);
    const type = String.fromCharCode(buf[offset + 4]!, buf[offset + 5]!, buf[offset + 6]!, buf[offset + 7]!);
    if (offset + 12 + length > buf.length) fail(`PNG is truncated inside its ${printable(type)} chunk`);
    if (type === 'IHDR') fail('the PNG has more than one IHDR chunk');
    if (type === 'IDAT') {
      if (idatClosed) fail('PNG image data (IDAT) is split by other chunks');
      idat.push(buf.subarray(offset + 8, offset + 8 + length));
      idatBytes += length;
    } else if (idat.length > 0) idatClosed = true;
    if (type !== 'IDAT' && type !== 'IEND' && !PLAIN_CHUNKS.has(type)) unusual = true;
    offset += 12 + length;
    if (type === 'IEND') break;
  }
  if (offset !== buf.length)
    fail(`PNG has ${(buf.length - offset).toLocaleString('en-US')} bytes after its IEND chunk`);
  if (idat.length === 0) fail('PNG has no image data (IDAT)');

  const bitsPerPixel = channels * depth;
  const inflatedBytes = interlace
    ? adam7Bytes(width, height, bitsPerPixel)
    : scanlineBytes(width, height, bitsPerPixel);
  if (idatBytes * MAX_DEFLATE_RATIO < inflatedBytes)
    fail(
      `PNG image data is ${idatBytes.toLocaleString('en-US')} bytes, too little for a ${width}×${height} image ` +
        `(${inflatedBytes.toLocaleString('en-US')} bytes inflated; deflate packs at most ${MAX_DEFLATE_RATIO}:1)`,
    );
  return { width, height, depth, colour, channels, interlaced: interlace === 1, unusual, idat, inflatedBytes };
}

const scanlineBytes = (width: number, height: number, bitsPerPixel: number) =>
  width === 0 || height === 0 ? 0 : height * (1 + Math.ceil((width * bitsPerPixel) / 8));

function adam7Bytes(width: number, height: number, bitsPerPixel: number): number {
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7)
    total += scanlineBytes(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy), bitsPerPixel);
  return total;
}

const printable = (type: string) => type.replace(/[^\x20-\x7e]/g, '?');

/**
 * The common PNG in a few lines: 8-bit grey, grey+alpha, RGB or RGBA, not interlaced, without
 * palette, colour key, profile or orientation — what canvases and image libraries write. Node's
 * native inflate makes this several times cheaper than a round trip through sharp for a 28×28
 * image, which matters when every prediction request carries one. Returns null for any other
 * file, a chunk with a wrong CRC included: sharp decodes those, and its answer is the service's.
 * The inflate is capped at exactly what the header declares, so image data that inflates to
 * more (a decompression bomb) or to less is refused, never decoded further.
 */
export function decodeSimplePng(buf: Uint8Array, layout: PngLayout = readPngLayout(buf)): Raster | null {
  const { width, height, channels, depth, interlaced, unusual, idat, inflatedBytes } = layout;
  if (depth !== 8 || interlaced || unusual || layout.colour === 3 || !crcsMatch(buf)) return null;
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), { maxOutputLength: inflatedBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      return fail(
        `PNG image data inflates to more than the ${inflatedBytes.toLocaleString('en-US')} bytes its ${width}×${height} header declares`,
      );
    return fail(`PNG image data is corrupt (${(err as Error).message})`);
  }
  if (raw.length !== inflatedBytes)
    fail(
      `PNG image data inflates to ${raw.length.toLocaleString('en-US')} bytes; its ${width}×${height} header declares ${inflatedBytes.toLocaleString('en-US')}`,
    );
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const kind = raw[y * (stride + 1)]!;
    if (!unfilter(kind, raw, y * (stride + 1) + 1, out, y * stride, stride, channels))
      fail(`PNG row ${y} has unknown filter type ${kind}`);
  }
  return { width, height, channels, data: out, maxValue: 255 };
}

/**
 * Whether every chunk's CRC matches, on a file whose chunk structure readPngLayout has checked.
 * sharp refuses a wrong one in IHDR or PLTE and ignores it elsewhere; rather than copy that
 * rule, the inline decoder hands any such file to sharp.
 */
function crcsMatch(buf: Uint8Array): boolean {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let offset = 8; offset < buf.length;) {
    const end = offset + 8 + dv.getUint32(offset);
    if (crc32(buf.subarray(offset + 4, end)) !== dv.getUint32(end)) return false;
    offset = end + 4;
  }
  return true;
}

/** Reverses one row's PNG filter into `out` (the previous row is already in `out`). */
function unfilter(kind: number, raw: Buffer, from: number, out: Uint8Array, at: number, stride: number, bpp: number) {
  const prev = at - stride; // start of the previous row in `out`; negative on the first row
  const hasUp = at >= stride;
  switch (kind) {
    case 0:
      for (let i = 0; i < stride; i++) out[at + i] = raw[from + i]!;
      return true;
    case 1:
      for (let i = 0; i < bpp && i < stride; i++) out[at + i] = raw[from + i]!;
      for (let i = bpp; i < stride; i++) out[at + i] = (raw[from + i]! + out[at + i - bpp]!) & 0xff;
      return true;
    case 2:
      if (!hasUp) for (let i = 0; i < stride; i++) out[at + i] = raw[from + i]!;
      else for (let i = 0; i < stride; i++) out[at + i] = (raw[from + i]! + out[prev + i]!) & 0xff;
      return true;
    case 3:
      for (let i = 0; i < stride; i++) {
        const left = i >= bpp ? out[at + i - bpp]! : 0;
        const up = hasUp ? out[prev + i]! : 0;
        out[at + i] = (raw[from + i]! + ((left + up) >> 1)) & 0xff;
      }
      return true;
    case 4:
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? out[at + i - bpp]! : 0;
        const b = hasUp ? out[prev + i]! : 0;
        const c = hasUp && i >= bpp ? out[prev + i - bpp]! : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        out[at + i] = (raw[from + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      return true;
    default:
      return false;
  }
}
