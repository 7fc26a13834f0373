import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, mnistify, preprocessImage } from '../../src/inference/preprocess.js';
import {
  border,
  boundingBox,
  canvas,
  centreOfMass,
  cornerDigit,
  fillRect,
  toSharp,
  type Rgba,
} from '../helpers/images.js';

const WHITE: Rgba = [255, 255, 255, 255];
const BLACK: Rgba = [0, 0, 0, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

/** Asserts the shape MNIST digits have: 28×28, black background, full-intensity ink, 20×20 box, centred by mass. */
function expectMnistShaped(out: Uint8Array) {
  expect(out).toHaveLength(784);
  expect(Math.max(...out)).toBe(255);
  expect(new Set(border(out))).toEqual(new Set([0]));
  const box = boundingBox(out);
  expect(box.width).toBeLessThanOrEqual(20);
  expect(box.height).toBeLessThanOrEqual(20);
  expect(Math.max(box.width, box.height)).toBeGreaterThanOrEqual(19);
  const com = centreOfMass(out);
  expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(1);
  expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(1);
}

describe('preprocessImage', () => {
  it('turns a dark digit drawn near the corner of a white canvas into a centred white-on-black MNIST digit', async () => {
    const png = await toSharp(cornerDigit(WHITE, BLACK), 3).png().toBuffer();
    const out = await preprocessImage(png);
    expectMnistShaped(out);
    // The Γ is 60×80 px, so it scales to 15×20: its ink, not the canvas, fills the box.
    expect(boundingBox(out)).toEqual({ width: 15, height: 20 });
    expect(out.filter((v) => v === 0).length).toBeGreaterThan(600);
  });

  it('gives the same digit for black ink and for white ink on a transparent canvas', async () => {
    const onWhite = await preprocessImage(await toSharp(cornerDigit(WHITE, BLACK), 3).png().toBuffer());
    const blackInk = await preprocessImage(await toSharp(cornerDigit(CLEAR, BLACK)).png().toBuffer());
    const whiteInk = await preprocessImage(await toSharp(cornerDigit(CLEAR, WHITE)).png().toBuffer());
    expectMnistShaped(blackInk);
    expectMnistShaped(whiteInk);
    expect(blackInk).toEqual(onWhite);
    expect(whiteInk).toEqual(onWhite);
  });

  it('handles an anti-aliased SVG stroke on a transparent canvas drawn in a mid-dark colour', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200">
      <path d="M200 40 L260 40 L215 170" stroke="#1a2a6c" stroke-width="14" fill="none" stroke-linecap="round"/></svg>`;
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const out = await preprocessImage(png);
    expectMnistShaped(out);
  });

  it('passes a 28×28 white-on-black digit through byte-identical', async () => {
    // A "0" with soft anti-aliased edges, like the MNIST originals.
    const digit = new Uint8Array(784);
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const r = Math.hypot((x - 13.6) / 0.7, y - 14.2);
        digit[y * 28 + x] = Math.max(0, Math.min(255, Math.round(255 - Math.abs(r - 7.5) * 120)));
      }
    const gray = await sharp(digit, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    expect(await preprocessImage(gray)).toEqual(digit);
    const rgb = await sharp(digit, { raw: { width: 28, height: 28, channels: 1 } })
      .toColourspace('srgb')
      .png()
      .toBuffer();
    expect(await preprocessImage(rgb)).toEqual(digit);
  });

  it('re-centres a 28×28 dark digit on a light background instead of passing it through', async () => {
    const c = fillRect(canvas(28, 28, WHITE), 3, 3, 8, 18, BLACK);
    const out = await preprocessImage(await toSharp(c, 3).png().toBuffer());
    expectMnistShaped(out);
    expect(boundingBox(out)).toEqual({ width: 7, height: 20 });
  });

  it('gives 784 zeros for a blank canvas, opaque or transparent', async () => {
    for (const bg of [WHITE, BLACK, CLEAR]) {
      const out = await preprocessImage(
        await toSharp(canvas(64, 64, bg))
          .png()
          .toBuffer(),
      );
      expect(out).toEqual(new Uint8Array(784));
    }
  });

  it('works on a JPEG photo-like digit with compression noise', async () => {
    const jpeg = await toSharp(cornerDigit([235, 230, 220, 255], [40, 40, 60, 255]), 3)
      .jpeg({ quality: 70 })
      .toBuffer();
    const out = await preprocessImage(jpeg);
    expectMnistShaped(out);
    const { width, height } = await decodeImage(jpeg);
    expect([width, height]).toEqual([200, 200]);
  });

  it('mnistify and decodeImage compose to preprocessImage', async () => {
    const png = await toSharp(cornerDigit(WHITE, BLACK), 3).png().toBuffer();
    const { width, height, gray } = await decodeImage(png);
    expect(mnistify(gray, width, height)).toEqual(await preprocessImage(png));
  });
});

describe('large images', () => {
  it('a 2000×2000 photo of a dark digit comes out like the same digit drawn small', async () => {
    const draw = (side: number) => {
      const bar = (x: number, y: number, w: number, h: number) =>
        `<rect x="${x * side}" y="${y * side}" width="${w * side}" height="${h * side}" fill="#111"/>`;
      return Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="#fff"/>${bar(0.45, 0.2, 0.1, 0.6)}${bar(0.3, 0.2, 0.3, 0.08)}</svg>`,
      );
    };
    const big = await sharp(draw(2000)).png().toBuffer();
    const small = await sharp(draw(200)).png().toBuffer();
    const [a, b] = await Promise.all([preprocessImage(big), preprocessImage(small)]);
    expect(a).toHaveLength(784);
    let diff = 0;
    for (let i = 0; i < 784; i++) diff += Math.abs(a[i]! - b[i]!);
    expect(diff / 784).toBeLessThan(8); // the same 28×28 digit up to resampling
    expect(Math.max(...a)).toBe(255);
  });
});
