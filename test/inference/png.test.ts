import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { decodeImage, decodeWithSharp } from '../../src/inference/decode.js';
import { decodeSimplePng, readPngLayout } from '../../src/inference/png.js';
import { toGray } from '../../src/inference/pixels.js';
import { pngChunk, PNG_SIGNATURE } from '../helpers/images.js';

/** A noisy gradient, so that PNG encoders pick every row filter somewhere. */
function pattern(width: number, height: number, channels: number): Buffer {
  const data = Buffer.alloc(width * height * channels);
  let seed = 7;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = ((i % (width * channels)) * 3 + Math.floor(i / (width * channels)) * 5 + (seed % 23)) & 0xff;
  }
  return data;
}

/** An IHDR chunk: 8-bit grey unless told otherwise. */
function ihdr(width: number, height: number, depth = 8, colour = 0, interlace = 0): Uint8Array {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([depth, colour, 0, 0, interlace], 8);
  return pngChunk('IHDR', data);
}

const IEND = pngChunk('IEND', new Uint8Array(0));
const png = (...chunks: Uint8Array[]) => Buffer.concat([Buffer.from(PNG_SIGNATURE), ...chunks]);
/** A grey PNG whose single IDAT holds `raw` (filter bytes and samples) deflated. */
const greyPng = (width: number, height: number, raw: Uint8Array) =>
  png(ihdr(width, height), pngChunk('IDAT', deflateSync(raw, { level: 9 })), IEND);

async function refusal(buf: Uint8Array): Promise<string> {
  const err = await decodeImage(buf).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidInputError);
  return (err as Error).message;
}

describe('decodeSimplePng (the native-inflate fast path)', () => {
  it.each([
    [28, 28, 1],
    [28, 28, 2],
    [31, 17, 3],
    [64, 40, 4],
    [1, 1, 1],
  ])('decodes %i×%i with %i channels exactly like sharp', async (width, height, channels) => {
    for (const adaptiveFiltering of [false, true]) {
      const file = await sharp(pattern(width, height, channels), {
        raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
      })
        .png({ adaptiveFiltering, compressionLevel: 9 })
        .toBuffer();
      const mine = decodeSimplePng(file);
      expect(mine).not.toBeNull();
      const reference = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      expect([mine!.width, mine!.height, mine!.channels]).toEqual([width, height, reference.info.channels]);
      expect(Buffer.from(mine!.data as Uint8Array).equals(reference.data)).toBe(true);
    }
  });

  it('leaves palette, 16-bit and interlaced files to sharp', async () => {
    const image = () => sharp(pattern(8, 8, 3), { raw: { width: 8, height: 8, channels: 3 } });
    expect(decodeSimplePng(await image().png({ palette: true }).toBuffer())).toBeNull();
    expect(decodeSimplePng(await image().png().toColourspace('rgb16').toBuffer())).toBeNull();
    expect(decodeSimplePng(await image().png({ progressive: true }).toBuffer())).toBeNull();
  });

  it('refuses a 28×28 image whose data inflates to 64 MiB at the 812 bytes its header declares', async () => {
    const bomb = greyPng(28, 28, new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(70_000);
    expect(readPngLayout(bomb).inflatedBytes).toBe(28 * 29);
    expect(await refusal(bomb)).toBe(
      'image could not be decoded: PNG image data inflates to more than the 812 bytes its 28×28 header declares',
    );
  });

  it('refuses a 1×1 image with a megabyte of data, and data that inflates to less than declared', async () => {
    expect(await refusal(greyPng(1, 1, new Uint8Array(1 << 20)))).toMatch(/more than the 2 bytes its 1×1 header/);
    expect(await refusal(greyPng(10, 10, new Uint8Array(50)))).toBe(
      'image could not be decoded: PNG image data inflates to 50 bytes; its 10×10 header declares 110',
    );
  });

  it('refuses corrupt deflate data and an unknown row filter', async () => {
    const corrupt = png(ihdr(4, 4), pngChunk('IDAT', Uint8Array.from([0x78, 0x9c, 0xff, 0xff, 0xff])), IEND);
    expect(await refusal(corrupt)).toMatch(/^image could not be decoded: PNG image data is corrupt \(/);
    const raw = new Uint8Array(4 * 5);
    raw[5] = 9; // row 1's filter byte
    expect(await refusal(greyPng(4, 4, raw))).toBe('image could not be decoded: PNG row 1 has unknown filter type 9');
  });
});

describe('the inline decoder hands anything unusual to sharp', () => {
  /** A 28×28 grey gradient; `extra` chunks go between IHDR and IDAT. */
  const gradient = (...extra: Uint8Array[]) => {
    const raw = new Uint8Array(28 * 29);
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) raw[y * 29 + 1 + x] = x * 9;
    return png(ihdr(28, 28), ...extra, pngChunk('IDAT', deflateSync(raw)), IEND);
  };
  /** The file with the CRC of its chunk of type `type` broken. */
  function badCrc(file: Buffer, type: string): Buffer {
    const out = Buffer.from(file);
    const at = out.indexOf(type, 8, 'latin1') - 4;
    out[at + 11 + out.readUInt32BE(at)]! ^= 0xff;
    return out;
  }
  const text = pngChunk('tEXt', Buffer.from('Comment\0a digit'));

  it('decodes text, time, density, gamma and chromaticity chunks itself, exactly like sharp', async () => {
    const plain = [
      text,
      pngChunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0'), deflateSync('a digit')])),
      pngChunk('tIME', Uint8Array.from([7, 234, 12, 3, 7, 30, 0])),
      pngChunk('pHYs', Uint8Array.from([0, 0, 11, 19, 0, 0, 11, 19, 1])),
      pngChunk('gAMA', Uint8Array.from([0, 0, 0xb1, 0x8f])),
      pngChunk('cHRM', new Uint8Array(32)),
      pngChunk('sRGB', Uint8Array.from([0])),
    ];
    const file = gradient(...plain);
    const inline = decodeSimplePng(file);
    expect(inline).not.toBeNull();
    expect(toGray(inline!)).toEqual(toGray(await decodeWithSharp(file)));
    expect(inline!.data[5]).toBe(45);
  });

  it('leaves a profile (iCCP) and an orientation (eXIf) to sharp, which applies them', async () => {
    const rotated = await sharp(pattern(48, 32, 3), { raw: { width: 48, height: 32, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    expect(rotated.includes('eXIf')).toBe(true);
    expect(decodeSimplePng(rotated)).toBeNull();
    expect(await decodeImage(rotated)).toMatchObject({ width: 32, height: 48 });
    const profiled = await sharp(pattern(8, 8, 3), { raw: { width: 8, height: 8, channels: 3 } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    expect(profiled.includes('iCCP')).toBe(true);
    expect(decodeSimplePng(profiled)).toBeNull();
  });

  it('leaves a file with a wrong CRC to sharp, whose answer is final: refused in IHDR, ignored in IDAT or text', async () => {
    const good = gradient(text);
    expect(decodeSimplePng(good)).not.toBeNull();
    const expected = toGray(decodeSimplePng(good)!);
    for (const type of ['IDAT', 'tEXt', 'IEND']) {
      const file = badCrc(good, type);
      expect(decodeSimplePng(file)).toBeNull();
      expect((await decodeImage(file)).gray).toEqual(expected);
    }
    const badHeader = badCrc(good, 'IHDR');
    expect(decodeSimplePng(badHeader)).toBeNull();
    expect(await refusal(badHeader)).toBe(
      'image could not be decoded: Input buffer has corrupt header: pngload_buffer: invalid chunk checksum',
    );
  });

  it('a decompression bomb with a wrong CRC goes to sharp, which reads only the rows its header declares', async () => {
    const bomb = badCrc(greyPng(28, 28, new Uint8Array(64 * 1024 * 1024)), 'IDAT');
    const { width, height, gray } = await decodeImage(bomb);
    expect([width, height, gray.every((v) => v === 0)]).toEqual([28, 28, true]);
  });
});

describe('readPngLayout (the chunk structure, before any inflate)', () => {
  const idat = pngChunk('IDAT', deflateSync(new Uint8Array(4 * 5)));

  it('computes the inflated size from the header: rows of a filter byte and packed samples, Adam7 passes', async () => {
    expect(readPngLayout(png(ihdr(13, 7, 1, 0), idat, IEND)).inflatedBytes).toBe(7 * (1 + 2));
    expect(readPngLayout(png(ihdr(5, 3, 16, 6), idat, IEND)).inflatedBytes).toBe(3 * (1 + 5 * 8));
    // A real interlaced file passes the check and decodes (through sharp).
    const interlaced = await sharp(pattern(300, 200, 3), { raw: { width: 300, height: 200, channels: 3 } })
      .png({ progressive: true })
      .toBuffer();
    expect(readPngLayout(interlaced).interlaced).toBe(true);
    expect((await decodeImage(interlaced)).width).toBe(300);
  });

  it.each([
    ['a second IHDR', png(ihdr(4, 4), ihdr(6000, 6000), idat, IEND), 'the PNG has more than one IHDR chunk'],
    ['no IEND', png(ihdr(4, 4), idat), 'PNG is truncated: it ends without an IEND chunk'],
    ['a chunk running past the end', png(ihdr(4, 4), idat).subarray(0, 45), 'PNG is truncated inside its IDAT chunk'],
    [
      'bytes after IEND',
      Buffer.concat([png(ihdr(4, 4), idat, IEND), Buffer.alloc(7)]),
      'PNG has 7 bytes after its IEND chunk',
    ],
    [
      'IDAT chunks split by another chunk',
      png(ihdr(4, 4), idat, pngChunk('tEXt', Buffer.from('a\0b')), idat, IEND),
      'PNG image data (IDAT) is split by other chunks',
    ],
    ['no IDAT', png(ihdr(4, 4), IEND), 'PNG has no image data (IDAT)'],
    ['colour type 5', png(ihdr(4, 4, 8, 5), idat, IEND), 'PNG colour type 5 does not exist'],
    ['RGB at 4 bits', png(ihdr(4, 4, 4, 2), idat, IEND), 'PNG colour type 2 cannot have 4-bit samples'],
    [
      '4096×4096 declared over 11 bytes of data',
      png(ihdr(4096, 4096), pngChunk('IDAT', deflateSync(new Uint8Array(1))), IEND),
      'PNG image data is 9 bytes, too little for a 4096×4096 image (16,781,312 bytes inflated; deflate packs at most 1032:1)',
    ],
  ])('refuses %s', async (_, file, message) => {
    expect(() => readPngLayout(file)).toThrow(message);
    expect(await refusal(file)).toBe(`image could not be decoded: ${message}`);
  });
});
