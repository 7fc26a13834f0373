import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError, UnavailableError } from '../../src/errors.js';
import { decodeBmp, decodeBmpGray } from '../../src/inference/bmp.js';
import { createBmpPool } from '../../src/inference/bmp-pool.js';
import { boxShrink } from '../../src/inference/bmp-worker.js';
import { decodeImage } from '../../src/inference/decode.js';
import { toGray } from '../../src/inference/pixels.js';
import { bmp, canvas, fillRect } from '../helpers/images.js';

/** A 4096×4096 1-bit BMP (2 MiB): a light square on black. */
function bigOneBit(): Uint8Array {
  const side = 4096;
  const indices = new Uint8Array(side * side);
  for (let y = 1000; y < 3000; y++) indices.fill(1, y * side + 1500, y * side + 2500);
  return bmp({ width: side, height: side, rgba: new Uint8Array(0) } as never, {
    bpp: 1,
    palette: [
      [0, 0, 0, 255],
      [250, 250, 250, 255],
    ],
    indices,
  });
}

describe('BMP worker pool', () => {
  const pool = createBmpPool({ threads: 1, maxQueued: 1 });
  afterAll(() => pool.close());

  it('decodes on a worker thread exactly what the inline decoder gives', async () => {
    const image = fillRect(canvas(300, 200, [30, 60, 90, 255]), 50, 50, 120, 150, [240, 240, 240, 255]);
    const file = bmp(image, { bpp: 24 });
    const decoded = await pool.decode(file);
    expect([decoded.width, decoded.height]).toEqual([300, 200]);
    expect(Buffer.from(decoded.gray).equals(Buffer.from(toGray(decodeBmp(file))))).toBe(true);
  });

  it('sends worker errors back as the same domain errors', async () => {
    const file = bmp(canvas(300, 200, [0, 0, 0, 255]), { bpp: 24 });
    new DataView(file.buffer).setUint16(28, 7, true); // 7 bits per pixel
    const err = await pool.decode(file).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe('image could not be decoded: BMP with 7 bits per pixel');
  });

  it('refuses a decode with 503 DECODER_BUSY when its queue is full, and carries on after', async () => {
    const file = bigOneBit();
    const outcomes = await Promise.allSettled([pool.decode(file), pool.decode(file), pool.decode(file)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const err = (outcomes[2] as PromiseRejectedResult).reason as UnavailableError;
    expect(err).toBeInstanceOf(UnavailableError);
    expect([err.code, err.message]).toEqual(['DECODER_BUSY', '1 BMP images are waiting to be decoded; retry shortly']);
    expect((await pool.decode(file)).width).toBe(4096);
  });

  it('decodes a 4096×4096 1-bit BMP through decodeImage (the shared pool), scaled down to maxSide', async () => {
    const { width, height, gray } = await decodeImage(bigOneBit(), { maxSide: 512 });
    expect([width, height]).toEqual([512, 512]);
    expect([gray[0], gray[256 * 512 + 256]]).toEqual([0, 250]);
  });
});

describe('boxShrink', () => {
  it('averages whole blocks, keeping the longer side at least maxSide, and leaves small images alone', () => {
    const gray = Uint8Array.from([0, 2, 10, 20, 4, 6, 30, 40, 100, 100, 7, 7, 100, 100, 7, 9, 255, 255, 1, 1]); // 4×5
    expect(boxShrink(gray, 4, 5, 2)).toEqual({ width: 2, height: 3, gray: Uint8Array.from([3, 25, 100, 8, 255, 1]) });
    expect(boxShrink(gray, 4, 5, 3)).toEqual({ width: 4, height: 5, gray });
    expect(boxShrink(gray, 4, 5, undefined).gray).toBe(gray);
  });
});

describe('decodeBmpGray', () => {
  it('gives what decodeBmp and toGray give, for palette and 24-bit files, and leaves other layouts to them', () => {
    const image = fillRect(canvas(37, 23, [30, 60, 90, 255]), 5, 4, 20, 18, [240, 200, 10, 255]);
    for (const bpp of [1, 4, 8, 24] as const) {
      const file = bmp(image, { bpp });
      const direct = decodeBmpGray(file)!;
      const raster = decodeBmp(file);
      expect(direct).toEqual({ width: 37, height: 23, gray: toGray(raster) });
    }
    expect(decodeBmpGray(bmp(image, { bpp: 32 }))).toBeUndefined();
  });
});
