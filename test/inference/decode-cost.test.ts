import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../../src/errors.js';
import { decodeBmpGray } from '../../src/inference/bmp.js';
import { boxShrink } from '../../src/inference/bmp-worker.js';
import { decodeImage, inspectImage } from '../../src/inference/decode.js';
import { bmp } from '../helpers/images.js';

const MiB = 1024 * 1024;
const blank = (side: number, channels: 3 | 4) =>
  sharp({ create: { width: side, height: side, channels, background: { r: 0, g: 0, b: 0, alpha: 1 } } });

describe('decode memory, told from the header', () => {
  it('tells the layouts decoded whole from those decoded in strips', async () => {
    const costOf = async (buf: Buffer) => (await inspectImage(buf, 4096 * 4096, 1024 * MiB)).cost;
    const cost = async (img: sharp.Sharp) => costOf(await img.toBuffer());
    expect(await cost(blank(1000, 3).png())).toEqual({ bytes: 3_000_000 });
    expect(await cost(blank(1000, 3).png({ progressive: true }))).toEqual({
      bytes: 6_000_000,
      whole: 'an interlaced PNG',
    });
    expect(await cost(blank(1000, 3).jpeg())).toEqual({ bytes: 1_000_000 });
    expect(await cost(blank(1000, 3).jpeg({ progressive: true }))).toEqual({
      bytes: 4_000_000,
      whole: 'a progressive JPEG',
    });
    expect(await cost(blank(1000, 3).webp())).toEqual({ bytes: 1_000_000 });
    const whole = { bytes: 6_000_000, whole: 'a lossless, transparent or animated WebP' };
    expect(await cost(blank(1000, 3).webp({ lossless: true }))).toEqual(whole);
    expect(
      await cost(
        sharp({
          create: { width: 1000, height: 1000, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } },
        }).webp(),
      ),
    ).toEqual(whole);
    expect(await cost(blank(1000, 3).gif())).toEqual({ bytes: 6_000_000, whole: 'a GIF' });
    // Lossless behind an extended header (VP8X, for the ICC profile), and an animation without alpha.
    const withProfile = await blank(1000, 3).withIccProfile('p3').webp({ lossless: true }).toBuffer();
    expect(withProfile.subarray(12, 16).toString('latin1')).toBe('VP8X');
    expect(await costOf(withProfile)).toEqual(whole);
    const frames = Buffer.alloc(100 * 200 * 3).fill(0xff, 0, 100 * 100 * 3);
    const animated = sharp(frames, { raw: { width: 100, height: 200, channels: 3, pageHeight: 100 } }).webp();
    expect(await cost(animated)).toEqual({ bytes: 60_000, whole: whole.whole });
  });

  it('refuses an image decoded whole past MAX_DECODE_MEMORY with a 413 naming the estimate, before decoding', async () => {
    const png = await blank(4096, 4).png({ progressive: true }).toBuffer();
    const err = await decodeImage(png).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err!.message).toBe(
      'image is 4096×4096 an interlaced PNG, which is decoded whole: about 96 MiB of memory to decode; at most 64 MiB ' +
        '(MAX_DECODE_MEMORY); send it smaller or in a layout decoded in strips (baseline JPEG, non-interlaced PNG)',
    );
    // The same pixels in strips are decoded, and a lower setting refuses even those.
    const flat = await blank(4096, 4).png().toBuffer();
    expect((await decodeImage(flat, { maxSide: 512 })).width).toBe(512);
    await expect(inspectImage(flat, 4096 * 4096, 16 * MiB)).rejects.toThrow(
      /about 48 MiB of memory to decode; at most 16 MiB/,
    );
    // A 4096² progressive JPEG fits the default.
    const jpeg = await blank(4096, 3).jpeg({ progressive: true }).toBuffer();
    expect((await inspectImage(jpeg)).cost).toEqual({ bytes: 4 * 4096 * 4096, whole: 'a progressive JPEG' });
  });
});

describe('BMP shrunk while it is read', () => {
  it('gives the same pixels as decoding whole and then averaging blocks, odd edges included', () => {
    const width = 1031;
    const height = 517;
    const indices = new Uint8Array(width * height).map((_, i) => (i * 7919) % 256);
    const palette = Array.from({ length: 256 }, (_, i): [number, number, number, number] => [
      i,
      (i * 3) % 256,
      255 - i,
      255,
    ]);
    const file = bmp({ width, height, rgba: new Uint8Array(0) }, { bpp: 8, palette, indices });
    const whole = decodeBmpGray(file)!;
    for (const f of [2, 3, 8]) {
      const streamed = decodeBmpGray(file, f)!;
      const shrunk = boxShrink(whole.gray, width, height, Math.floor(Math.max(width, height) / f));
      expect(streamed.width).toBe(Math.ceil(width / f));
      expect(streamed.height).toBe(Math.ceil(height / f));
      expect(streamed.width).toBe(shrunk.width);
      expect(Buffer.from(streamed.gray).equals(Buffer.from(shrunk.gray))).toBe(true);
    }
  });
});
