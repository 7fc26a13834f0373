import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeWithSharp, inspectImage, sniffFormat } from '../../src/inference/decode.js';
import { decodeSimplePng } from '../../src/inference/png.js';
import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../src/errors.js';
import { decodeImage } from '../../src/inference/preprocess.js';
import { toGray } from '../../src/inference/pixels.js';
import { encodePng } from '../helpers/png.js';
import {
  bmp,
  canvas,
  channelsOf,
  fillRect,
  gifHeader,
  jpegHeader,
  luminance,
  pngChunk,
  pngHeader,
  PNG_SIGNATURE,
  pseudoRandomBytes,
  toSharp,
  webpHeader,
  type Canvas,
  type Rgba,
} from '../helpers/images.js';

/** Three 16-px stripes (dark gray, pure red, light gray) over 48×32: flat areas survive lossy codecs. */
const DARK: Rgba = [40, 40, 40, 255];
const RED: Rgba = [255, 0, 0, 255];
const LIGHT: Rgba = [200, 200, 200, 255];
function stripes(): Canvas {
  const c = canvas(48, 32, DARK);
  fillRect(c, 16, 0, 32, 32, RED);
  return fillRect(c, 32, 0, 48, 32, LIGHT);
}
const STRIPE_GRAY = [40, luminance(255, 0, 0), 200]; // 40, 76, 200
/** Gray stripes for single-channel encodings. */
function grayStripes(): Canvas {
  const c = canvas(48, 32, DARK);
  fillRect(c, 16, 0, 32, 32, [120, 120, 120, 255]);
  return fillRect(c, 32, 0, 48, 32, LIGHT);
}
const GRAY_STRIPE_GRAY = [40, 120, 200];

const layout = (depth: number, channels: number, palette = false) => ({ depth, channels, palette });
/** What a PNG's IHDR says: its bit depth, samples per pixel and whether it is palette-based. */
function ihdrLayout(png: Uint8Array) {
  const colour = png[25]!;
  return layout(png[24]!, ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour]!, colour === 3);
}

/** Checks the size and the value at the centre of each stripe. */
async function expectStripes(buf: Uint8Array, expected: number[], tolerance: number) {
  const { width, height, gray } = await decodeImage(buf);
  expect([width, height]).toEqual([48, 32]);
  expect(gray).toHaveLength(48 * 32);
  expected.forEach((v, i) => expect(Math.abs((gray[16 * 48 + 8 + i * 16] ?? -1) - v)).toBeLessThanOrEqual(tolerance));
}

async function rejection(buf: Uint8Array): Promise<Error> {
  const err = await decodeImage(buf).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('decodeImage formats', () => {
  it('PNG: 8-bit gray, RGB, RGBA, palette (8- and 2-bit), 16-bit, and gray+alpha at 8 and 16 bits', async () => {
    const ga = channelsOf(grayStripes(), 2);
    const cases: [Uint8Array, { depth: number; channels: number; palette: boolean }, number[], number][] = [
      [await toSharp(grayStripes(), 1).toColourspace('b-w').png().toBuffer(), layout(8, 1), GRAY_STRIPE_GRAY, 0],
      [await toSharp(stripes(), 3).png().toBuffer(), layout(8, 3), STRIPE_GRAY, 0],
      [await toSharp(stripes(), 4).png().toBuffer(), layout(8, 4), STRIPE_GRAY, 0],
      [await toSharp(stripes(), 3).png({ palette: true }).toBuffer(), layout(8, 1, true), STRIPE_GRAY, 2],
      [
        await toSharp(grayStripes(), 3).png({ palette: true, colours: 4 }).toBuffer(),
        layout(2, 1, true),
        GRAY_STRIPE_GRAY,
        2,
      ],
      [await toSharp(stripes(), 3).toColourspace('rgb16').png().toBuffer(), layout(16, 3), STRIPE_GRAY, 1],
      [await toSharp(grayStripes(), 1).toColourspace('grey16').png().toBuffer(), layout(16, 1), GRAY_STRIPE_GRAY, 1],
      [encodePng({ width: 48, height: 32, data: ga, channels: 2, depth: 8 }), layout(8, 2), GRAY_STRIPE_GRAY, 0],
      [
        encodePng({ width: 48, height: 32, data: Uint16Array.from(ga, (v) => v * 257), channels: 2, depth: 16 }),
        layout(16, 2),
        GRAY_STRIPE_GRAY,
        0,
      ],
    ];
    for (const [png, expectedLayout, values, tolerance] of cases) {
      expect(ihdrLayout(png)).toEqual(expectedLayout); // the encoders really produced the layout under test
      await expectStripes(png, values, tolerance);
    }
  });

  it('PNG: the inline and the sharp decoders agree on every layout the inline one takes', async () => {
    const cases: Uint8Array[] = [
      await toSharp(grayStripes(), 1).toColourspace('b-w').png().toBuffer(),
      await toSharp(stripes(), 3).png().toBuffer(),
      await toSharp(stripes(), 4).png().toBuffer(),
      encodePng({ width: 48, height: 32, data: channelsOf(grayStripes(), 2), channels: 2, depth: 8 }),
    ];
    for (const png of cases) {
      const inline = decodeSimplePng(png);
      expect(inline).not.toBeNull();
      expect(toGray(inline!)).toEqual(toGray(await decodeWithSharp(png)));
    }
  });

  it('PNG: a large one goes through sharp and decodes the same', async () => {
    const big = fillRect(canvas(600, 400, LIGHT), 100, 100, 300, 200, DARK);
    const { width, height, gray } = await decodeImage(await toSharp(big, 3).png().toBuffer());
    expect([width, height]).toEqual([600, 400]);
    expect([gray[0], gray[150 * 600 + 200]]).toEqual([200, 40]);
  });

  it('JPEG, WebP (lossy and lossless) and GIF', async () => {
    await expectStripes(await toSharp(stripes(), 3).jpeg({ quality: 90 }).toBuffer(), STRIPE_GRAY, 8);
    await expectStripes(await toSharp(stripes(), 3).webp({ quality: 90 }).toBuffer(), STRIPE_GRAY, 8);
    await expectStripes(await toSharp(stripes(), 4).webp({ lossless: true }).toBuffer(), STRIPE_GRAY, 0);
    await expectStripes(await toSharp(stripes(), 3).gif().toBuffer(), STRIPE_GRAY, 4);
  });

  it('GIF: an animation decodes its first frame', async () => {
    const frames = [stripes(), canvas(48, 32, RED)].map((c) => c.rgba);
    const gif = await sharp(Buffer.concat(frames), { raw: { width: 48, height: 64, channels: 4, pageHeight: 32 } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    await expectStripes(gif, STRIPE_GRAY, 4);
  });

  it('BMP: 24-bit, 1/4/8-bit palette, 32-bit with alpha, top-down and with a gap before the pixels', async () => {
    await expectStripes(bmp(stripes(), { bpp: 24 }), STRIPE_GRAY, 0);
    await expectStripes(bmp(stripes(), { bpp: 24, topDown: true, gap: 6 }), STRIPE_GRAY, 0);
    const indices = Uint8Array.from({ length: 48 * 32 }, (_, p) => Math.floor((p % 48) / 16));
    const palette: Rgba[] = [DARK, RED, LIGHT];
    await expectStripes(bmp(canvas(48, 32, DARK), { bpp: 8, palette, indices }), STRIPE_GRAY, 0);
    await expectStripes(bmp(canvas(48, 32, DARK), { bpp: 4, palette, indices }), STRIPE_GRAY, 0);
    const twoTone = Uint8Array.from(indices, (i) => (i === 2 ? 1 : 0));
    await expectStripes(
      bmp(canvas(48, 32, DARK), { bpp: 1, palette: [DARK, LIGHT], indices: twoTone }),
      [40, 40, 200],
      0,
    );
    await expectStripes(bmp(stripes(), { bpp: 32 }), STRIPE_GRAY, 0);
    // Odd width, so 24-bit rows carry padding.
    const odd = fillRect(canvas(5, 3, DARK), 2, 0, 5, 3, LIGHT);
    const decoded = await decodeImage(bmp(odd, { bpp: 24 }));
    expect([...decoded.gray]).toEqual([40, 40, 200, 200, 200, 40, 40, 200, 200, 200, 40, 40, 200, 200, 200]);
  });

  it('BMP: transparent pixels are composited like PNG ones', async () => {
    const ink = fillRect(canvas(10, 10, [0, 0, 0, 0]), 2, 2, 8, 8, [255, 255, 255, 255]);
    const { gray } = await decodeImage(bmp(ink, { bpp: 32 }));
    expect([gray[0], gray[55]]).toEqual([0, 255]);
  });

  it('BMP: RLE compression is refused as unsupported', async () => {
    const err = await rejection(bmp(stripes(), { bpp: 8, compression: 1 }));
    expect(err).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(err.message).toBe('RLE-compressed BMP images are not supported');
  });

  it('sniffs the format from the bytes, not from any name', async () => {
    expect(sniffFormat(await toSharp(stripes(), 3).png().toBuffer())).toBe('png');
    expect(sniffFormat(await toSharp(stripes(), 3).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffFormat(await toSharp(stripes(), 3).webp().toBuffer())).toBe('webp');
    expect(sniffFormat(await toSharp(stripes(), 3).gif().toBuffer())).toBe('gif');
    expect(sniffFormat(bmp(stripes(), { bpp: 24 }))).toBe('bmp');
    expect(sniffFormat(Buffer.from('BM is how this plain-text note begins'))).toBeNull();
  });

  it('reads declared sizes and formats from real headers', async () => {
    for (const [format, buf] of [
      ['png', await toSharp(stripes(), 3).png().toBuffer()],
      ['jpeg', await toSharp(stripes(), 3).jpeg().toBuffer()],
      ['webp', await toSharp(stripes(), 3).webp().toBuffer()],
      ['webp', await toSharp(stripes(), 3).webp({ lossless: true }).toBuffer()],
      ['gif', await toSharp(stripes(), 3).gif().toBuffer()],
      ['bmp', bmp(stripes(), { bpp: 24, topDown: true })],
    ] as const)
      expect(await inspectImage(buf)).toMatchObject({ format, width: 48, height: 32 });
  });
});

describe('decodeImage refusals', () => {
  const NOT_AN_IMAGE = 'body is not a PNG, JPEG, WebP, GIF or BMP image';

  it('refuses random bytes, an empty body and text as not an image', async () => {
    for (const buf of [pseudoRandomBytes(1000), new Uint8Array(0), Buffer.from('{"pixels": [0, 0, 0]}')]) {
      const err = await rejection(buf);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toBe(NOT_AN_IMAGE);
    }
  });

  it('refuses a truncated PNG, small or large, with a one-line decode message', async () => {
    const small = await toSharp(stripes(), 3).png().toBuffer();
    const large = await toSharp(fillRect(canvas(400, 400, LIGHT), 50, 50, 200, 300, RED), 3)
      .png()
      .toBuffer();
    for (const png of [small, large]) {
      const err = await rejection(png.subarray(0, png.length >> 1));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toMatch(/^image could not be decoded: \S.*$/);
      expect(err.message).not.toMatch(/\n|\/work|node_modules|\bat \w/);
    }
  });

  it('refuses a PNG cut inside its header and a JPEG cut before its frame header', async () => {
    const png = await toSharp(stripes(), 3).png().toBuffer();
    expect((await rejection(png.subarray(0, 20))).message).toBe('image could not be decoded: PNG header is truncated');
    const jpeg = await toSharp(stripes(), 3).jpeg().toBuffer();
    // libjpeg reads JPEG headers, through sharp's metadata.
    expect((await rejection(jpeg.subarray(0, 10))).message).toBe(
      'image could not be decoded: Input buffer has corrupt header: VipsJpeg: premature end of JPEG image',
    );
    const halfJpeg = await rejection(jpeg.subarray(0, jpeg.length >> 1));
    expect(halfJpeg).toBeInstanceOf(InvalidInputError);
    expect(halfJpeg.message).toMatch(/^image could not be decoded: /);
  });

  it('refuses a PNG whose image data is corrupt', async () => {
    const ihdr = pngHeader(16, 16);
    const idat = pngChunk('IDAT', pseudoRandomBytes(64));
    const png = Buffer.concat([ihdr, idat, pngChunk('IEND', new Uint8Array(0))]);
    const err = await rejection(png);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(/^image could not be decoded: /);
  });

  it('refuses headers declaring 60000×60000 before decoding, naming the declared size', async () => {
    const expected = 'image is 60000×60000 pixels; images may be at most 4096×4096';
    const lyingBmp = bmp(canvas(1, 1, DARK), { bpp: 24 });
    new DataView(lyingBmp.buffer).setInt32(18, 60000, true);
    new DataView(lyingBmp.buffer).setInt32(22, -60000, true);
    for (const header of [pngHeader(60000, 60000), jpegHeader(60000, 60000), gifHeader(60000, 60000), lyingBmp]) {
      const err = await rejection(header);
      expect(err).toBeInstanceOf(PayloadTooLargeError);
      expect(err.message).toBe(expected);
    }
    // WebP cannot declare more than 16383×16383: libwebp refuses the header itself.
    const webp = await rejection(webpHeader(16383, 16383));
    expect(webp).toBeInstanceOf(PayloadTooLargeError);
    expect(webp.message).toBe('image is 16383×16383 pixels; images may be at most 4096×4096');
    expect((await rejection(webpHeader(60000, 60000))).message).toBe(
      'image could not be decoded: Input buffer has corrupt header: webp: unable to parse image',
    );
  });

  it('refuses headers cut before the data that libvips needs to read them, as undecodable', async () => {
    const cut = (buf: Uint8Array, keep: number) => buf.subarray(0, keep);
    for (const [header, message] of [
      [cut(jpegHeader(60000, 60000), 40), /^image could not be decoded: .*VipsJpeg: premature end of JPEG image$/],
      [cut(gifHeader(60000, 60000), 13), /^image could not be decoded: .*gifload_buffer: /],
      [cut(webpHeader(60000, 60000), 32), /^image could not be decoded: .*webp: /],
    ] as const) {
      const err = await rejection(header);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toMatch(message);
    }
  });

  it('refuses one over-long side, and more pixels than maxPixels', async () => {
    expect((await rejection(pngHeader(4097, 10))).message).toBe(
      'image is 4097×10 pixels; images may be at most 4096×4096',
    );
    const png = await toSharp(stripes(), 3).png().toBuffer();
    const err = await decodeImage(png, { maxPixels: 1000 }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toBe('image is 48×32 = 1,536 pixels; at most 1,000 (MAX_IMAGE_PIXELS)');
    expect((await decodeImage(png, { maxPixels: 48 * 32 })).width).toBe(48);
  });

  it('refuses a header that declares zero width', async () => {
    const err = await rejection(pngHeader(0, 10));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('image could not be decoded: header declares a 0×10 image');
  });

  it('knows the PNG signature it checks', () => {
    expect(sniffFormat(Uint8Array.from(PNG_SIGNATURE))).toBe('png');
  });
});
