import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, PayloadTooLargeError } from '../../src/errors.js';
import { decodeImage, inspectImage } from '../../src/inference/decode.js';
import { MAX_JPEG_SCANS } from '../../src/inference/headers.js';
import { preprocessImages } from '../../src/inference/preprocess.js';
import { bmp, canvas, gifWithFrame, jpegHeader, manyScanJpeg, webpHeader } from '../helpers/images.js';

const MiB = 1024 * 1024;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('declared sizes that lie', () => {
  it('GIF: a frame larger than its 28×28 screen counts at its own size (libnsgif grows the canvas to it)', async () => {
    const gif = gifWithFrame([28, 28], [4000, 4000]);
    expect(await inspectImage(gif, 4096 * 4096, 1024 * MiB)).toMatchObject({ width: 4000, height: 4000 });
    const err = await rejection(decodeImage(gif, { maxPixels: 1_000_000 }));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.message).toBe('image is 4000×4000 = 16,000,000 pixels; at most 1,000,000 (MAX_IMAGE_PIXELS)');
    expect((await rejection(decodeImage(gifWithFrame([28, 28], [65000, 65000])))).message).toBe(
      'image is 65000×65000 pixels; images may be at most 4096×4096',
    );
  });

  it('GIF: a 65535×65535 screen over a 1×1 frame is the 1×1 image libnsgif decodes', async () => {
    // libnsgif takes a screen over 2048 pixels a side for a broken one, and sizes its canvas to the frames.
    const gif = gifWithFrame([65535, 65535], [1, 1]);
    expect(await inspectImage(gif)).toMatchObject({ width: 1, height: 1 });
    expect((await decodeImage(gif)).width).toBe(1);
  });

  it('WebP: a small extended-header canvas over a large bitstream is refused by libwebp from its headers', async () => {
    const lossless = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#808080' } })
      .webp({ lossless: true })
      .toBuffer();
    expect(await inspectImage(lossless, 4096 * 4096, 1024 * MiB)).toMatchObject({ width: 3000, height: 2000 });
    // RIFF + VP8X (canvas 28×28) + the lossless file's VP8L chunk.
    const forged = Buffer.concat([webpHeader(28, 28).subarray(0, 30), lossless.subarray(12)]);
    forged.writeUInt32LE(forged.length - 8, 4);
    const err = await rejection(inspectImage(forged));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe(
      'image could not be decoded: Input buffer has corrupt header: webp: unable to parse image',
    );
  });

  it('JPEG: a frame header declaring 65500×65500 is refused before decoding', async () => {
    const err = await rejection(decodeImage(jpegHeader(65500, 65500)));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.message).toBe('image is 65500×65500 pixels; images may be at most 4096×4096');
  });

  it(`JPEG: a valid progressive file with more than ${MAX_JPEG_SCANS} scans is refused from its markers`, async () => {
    const ok = manyScanJpeg(256, 256, 20);
    const { width, gray } = await decodeImage(ok);
    expect(width).toBe(256);
    expect(gray[1000]).toBe(128); // flat grey: it really is a valid file
    const many = manyScanJpeg(4096, 4096, 600);
    expect(many.length).toBeLessThan(60_000);
    const err = await rejection(decodeImage(many));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as PayloadTooLargeError).code).toBe('IMAGE_TOO_COMPLEX');
    expect(err.message).toMatch(/^JPEG has more than 100 scans/);
  });

  it('JPEG: thousands of marker segments before the first scan are refused before libvips reads them', async () => {
    const real = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    const empty = Buffer.from([0xff, 0xe1, 0, 2]); // an APP1 segment with no data
    const withSegments = (n: number) =>
      Buffer.concat([real.subarray(0, 2), ...Array<Buffer>(n).fill(empty), real.subarray(2)]);
    expect((await decodeImage(withSegments(900))).width).toBe(16);
    const err = await rejection(decodeImage(withSegments(5000)));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('image could not be decoded: JPEG has more than 1000 marker segments');
  });

  it('refuses zero sizes where the decoder would, and takes them as libnsgif does', async () => {
    const jpeg = await rejection(decodeImage(jpegHeader(10, 0)));
    expect(jpeg).toBeInstanceOf(InvalidInputError);
    expect(jpeg.message).toBe(
      'image could not be decoded: Input buffer has corrupt header: VipsJpeg: Empty JPEG image (DNL not supported)',
    );
    // libnsgif reads a zero-width screen and frame as one pixel wide.
    expect(await inspectImage(gifWithFrame([0, 10], [0, 10]))).toMatchObject({ width: 1, height: 10 });
  });
});

describe('BMP headers that lie', () => {
  const good = () => bmp(canvas(40, 30, [10, 20, 30, 255]), { bpp: 24 });

  it('refuses a pixel-data offset inside the headers or past the end, and a size the file cannot hold', async () => {
    const inside = good();
    new DataView(inside.buffer).setUint32(10, 20, true);
    expect((await rejection(decodeImage(inside))).message).toBe(
      'image could not be decoded: BMP pixel data offset 20 points into its 54 bytes of headers',
    );
    const past = good();
    new DataView(past.buffer).setUint32(10, 10_000, true);
    expect((await rejection(decodeImage(past))).message).toMatch(
      /^image could not be decoded: BMP pixel data is truncated: 40×30 at 24 bits from offset 10000 needs 13,600 bytes, the file has 3,654$/,
    );
    const tall = good();
    new DataView(tall.buffer).setInt32(22, 4000, true);
    expect((await rejection(decodeImage(tall))).message).toMatch(/BMP pixel data is truncated: 40×4000/);
  });
});

describe('preprocessImages (one request)', () => {
  const limits = { maxImagePixels: 4096 * 4096, maxRequestPixels: 100_000 };
  const png = (side: number) =>
    sharp({ create: { width: side, height: side, channels: 3, background: '#000' } })
      .png()
      .toBuffer();

  it('refuses images adding up to more than the request budget, from their headers, naming both figures', async () => {
    const images = await Promise.all([png(200), png(200), png(200)]);
    const err = await rejection(preprocessImages(images, limits));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.message).toBe(
      'the 3 images add up to 120,000 pixels; at most 100,000 in one request (MAX_REQUEST_PIXELS)',
    );
    expect(await preprocessImages(images.slice(0, 2), limits)).toHaveLength(2);
  });

  it('names the bad image of a batch, and checks every header before decoding any', async () => {
    const images = [await png(10), Buffer.from('not an image')];
    const err = await rejection(preprocessImages(images, limits, (i) => `image[${i}]`));
    expect(err.message).toBe('image[1]: body is not a PNG, JPEG, WebP, GIF or BMP image');
  });
});
