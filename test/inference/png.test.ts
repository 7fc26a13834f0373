import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodePngFast } from '../../src/inference/decode.js';
import { decodeSimplePng, hasSingleHeader } from '../../src/inference/png.js';

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

describe('decodeSimplePng (the native-inflate fast path)', () => {
  it.each([
    [28, 28, 1],
    [28, 28, 2],
    [31, 17, 3],
    [64, 40, 4],
    [1, 1, 1],
  ])('decodes %i×%i with %i channels exactly like fast-png', async (width, height, channels) => {
    for (const adaptiveFiltering of [false, true]) {
      const png = await sharp(pattern(width, height, channels), {
        raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
      })
        .png({ adaptiveFiltering, compressionLevel: 9 })
        .toBuffer();
      const mine = decodeSimplePng(png);
      const reference = decodePngFast(png);
      expect(mine).not.toBeNull();
      expect(mine!.channels).toBe(reference!.channels);
      expect([mine!.width, mine!.height]).toEqual([width, height]);
      expect(Buffer.from(mine!.data as Uint8Array).equals(Buffer.from(reference!.data as Uint8Array))).toBe(true);
    }
  });

  it('leaves palette, 16-bit and broken files to the general decoders', async () => {
    const rgb = pattern(8, 8, 3);
    const palette = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } })
      .png({ palette: true })
      .toBuffer();
    const deep = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toColourspace('rgb16')
      .toBuffer();
    const good = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toBuffer();
    expect(decodeSimplePng(palette)).toBeNull();
    expect(decodeSimplePng(deep)).toBeNull();
    expect(decodeSimplePng(good.subarray(0, good.length - 20))).toBeNull();
    const corrupt = Buffer.from(good);
    corrupt[good.length - 20] = corrupt[good.length - 20]! ^ 0xff; // inside the compressed data
    expect(decodeSimplePng(corrupt)).toBeNull();
  });
});

describe('PNG headers', () => {
  it('refuses a PNG whose second IHDR declares a larger image, before decoding', async () => {
    const small = await sharp(Buffer.alloc(28 * 28), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    // Signature, IHDR (8 + 13 + 4 bytes), then a copy of the IHDR saying 6000×6000, then the rest.
    const ihdr = Buffer.from(small.subarray(8, 33));
    const second = Buffer.from(ihdr);
    second.writeUInt32BE(6000, 8);
    second.writeUInt32BE(6000, 12);
    const forged = Buffer.concat([small.subarray(0, 33), second, small.subarray(33)]);
    expect(hasSingleHeader(small)).toBe(true);
    expect(hasSingleHeader(forged)).toBe(false);
    expect(decodeSimplePng(forged)).toBeNull();
    await expect(decodeImage(forged)).rejects.toThrow(/more than one IHDR/);
  });
});
