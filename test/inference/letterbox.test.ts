import { describe, expect, it } from 'vitest';
import { letterbox } from '../../src/inference/letterbox.js';
import { mnistify, preprocessImage, preprocessImages } from '../../src/inference/preprocess.js';
import { canvas, fillRect, toSharp, type Rgba } from '../helpers/images.js';

const WHITE: Rgba = [255, 255, 255, 255];
const BLACK: Rgba = [0, 0, 0, 255];
const limits = { maxImagePixels: 4096 * 4096, maxRequestPixels: 16 * 4096 * 4096 };

/** Rows and columns that hold any pixel above 0. */
function extent(img: Uint8Array) {
  const rows = new Set<number>();
  const cols = new Set<number>();
  img.forEach((v, i) => {
    if (v > 0) {
      rows.add(Math.floor(i / 28));
      cols.add(i % 28);
    }
  });
  return { top: Math.min(...rows), bottom: Math.max(...rows), left: Math.min(...cols), right: Math.max(...cols) };
}

describe('letterbox (the fit rule)', () => {
  it('returns a 28×28 image unchanged, without inverting or centring it', () => {
    const gray = Uint8Array.from({ length: 784 }, (_, i) => (i * 7) % 256);
    const out = letterbox(gray, 28, 28);
    expect(out).toEqual(gray);
    expect(out).not.toBe(gray);
  });

  it('scales a wide image to the full width, keeps its aspect ratio and centres it between black bars', () => {
    // 112×56 of constant 200: 28×14 at rows 7–20, black above and below.
    const out = letterbox(new Uint8Array(112 * 56).fill(200), 112, 56);
    expect(out).toHaveLength(784);
    expect(extent(out)).toEqual({ top: 7, bottom: 20, left: 0, right: 27 });
    expect(out.filter((v) => v === 200)).toHaveLength(28 * 14);
    expect(out.filter((v) => v === 0)).toHaveLength(784 - 28 * 14);
  });

  it('centres a tall image horizontally', () => {
    const out = letterbox(new Uint8Array(10 * 40).fill(90), 10, 40);
    expect(extent(out)).toEqual({ top: 0, bottom: 27, left: 10, right: 16 });
  });

  it('averages areas when shrinking: a fine checkerboard becomes an even grey', () => {
    const gray = Uint8Array.from({ length: 280 * 280 }, (_, i) => (((i % 280) + Math.floor(i / 280)) % 2 ? 255 : 0));
    const out = letterbox(gray, 280, 280);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(126);
    expect(Math.max(...out)).toBeLessThanOrEqual(129);
  });

  it('keeps a light background light, where the mnist rule would invert it', () => {
    const light = new Uint8Array(56 * 56).fill(240);
    expect(Math.min(...letterbox(light, 56, 56))).toBe(240);
    expect(Math.max(...mnistify(light, 56, 56))).toBe(0);
  });

  it('enlarges a tiny image, and takes a single pixel', () => {
    expect(letterbox(Uint8Array.of(0, 255, 255, 0), 2, 2).filter((v) => v > 0).length).toBeGreaterThan(300);
    expect(letterbox(Uint8Array.of(77), 1, 1)).toEqual(new Uint8Array(784).fill(77));
  });

  it('refuses pixels that do not make the image it is told of', () => {
    expect(() => letterbox(new Uint8Array(10), 4, 4)).toThrow(RangeError);
    expect(() => letterbox(new Uint8Array(0), 0, 0)).toThrow(RangeError);
  });
});

describe('preprocessing by rule', () => {
  it('converts an uploaded image by the rule it is given: fit letterboxes, mnist inverts and centres', async () => {
    // A black square in the top-left corner of a white 60×60 canvas.
    const png = await toSharp(fillRect(canvas(60, 60, WHITE), 0, 0, 20, 20, BLACK), 1)
      .png()
      .toBuffer();
    const fit = await preprocessImage(png, {}, 'fit');
    expect(fit[0]).toBe(0); // the black corner stays black
    expect(fit[27 * 28 + 27]).toBe(255); // and the white canvas white
    const mnist = await preprocessImage(png, {}, 'mnist');
    expect(mnist[0]).toBe(0); // inverted, cropped and centred: the corner is background now
    expect(mnist[14 * 28 + 14]).toBe(255);
    const [batchFit, batchMnist] = [
      await preprocessImages([png], limits, undefined, 'fit'),
      await preprocessImages([png], limits),
    ];
    expect(batchFit[0]).toEqual(fit);
    expect(batchMnist[0]).toEqual(mnist);
  });
});
