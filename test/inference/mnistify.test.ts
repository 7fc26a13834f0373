import { describe, expect, it } from 'vitest';
import { mnistify } from '../../src/inference/mnistify.js';
import { border, boundingBox, centreOfMass, pseudoRandomBytes } from '../helpers/images.js';

function grayCanvas(width: number, height: number, background: number): Uint8Array {
  return new Uint8Array(width * height).fill(background);
}

function fill(img: Uint8Array, width: number, x0: number, y0: number, x1: number, y1: number, v: number) {
  for (let y = y0; y < y1; y++) img.fill(v, y * width + x0, y * width + x1);
}

describe('mnistify', () => {
  it('enlarges a small digit with interpolation to fill the 20-px box', () => {
    const img = grayCanvas(100, 100, 0);
    fill(img, 100, 70, 70, 75, 80, 180); // a 5×10 bar near the bottom-right corner
    const out = mnistify(img, 100, 100);
    expect(boundingBox(out)).toEqual({ width: 10, height: 20 });
    expect(Math.max(...out)).toBe(255);
    const com = centreOfMass(out);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);
  });

  it('keeps the aspect ratio of a wide digit', () => {
    const img = grayCanvas(300, 120, 255);
    fill(img, 300, 20, 40, 220, 90, 0); // 200×50 dark bar on white
    const out = mnistify(img, 300, 120);
    expect(boundingBox(out)).toEqual({ width: 20, height: 5 });
    expect(new Set(border(out))).toEqual(new Set([0]));
  });

  it('removes a gray paper background and faint noise before cropping', () => {
    const img = grayCanvas(120, 120, 190); // gray paper
    const noise = pseudoRandomBytes(120 * 120);
    img.forEach((v, i) => (img[i] = v + ((noise[i] ?? 0) % 7) - 3)); // ±3 grain
    img[5] = 181; // a faint speck far from the digit, under 10 % of the ink's strength
    img[119 * 120 + 3] = 0; // a strong one-pixel speck: dust, not part of the digit
    fill(img, 120, 60, 30, 72, 100, 60); // a dark 12×70 stroke
    const out = mnistify(img, 120, 120);
    expect(boundingBox(out)).toEqual({ width: 3, height: 20 });
    expect(Math.max(...out)).toBe(255);
  });

  it('returns zeros for blank or nearly uniform images', () => {
    expect(mnistify(grayCanvas(50, 40, 255), 50, 40)).toEqual(new Uint8Array(784));
    expect(mnistify(grayCanvas(50, 40, 0), 50, 40)).toEqual(new Uint8Array(784));
    const faint = grayCanvas(50, 40, 200);
    faint[620] = 195;
    expect(mnistify(faint, 50, 40)).toEqual(new Uint8Array(784));
  });

  it('returns a copy, not the input, for an image already in MNIST form', () => {
    const img = grayCanvas(28, 28, 0);
    fill(img, 28, 2, 2, 6, 6, 90); // off-centre and dim, yet left alone: it is already 28×28 on black
    const out = mnistify(img, 28, 28);
    expect(out).toEqual(img);
    expect(out).not.toBe(img);
  });

  it('keeps specks when there is nothing else', () => {
    const dots = grayCanvas(40, 40, 0);
    dots[5 * 40 + 5] = 200;
    dots[30 * 40 + 30] = 200;
    const out = mnistify(dots, 40, 40);
    expect(boundingBox(out)).toEqual({ width: 20, height: 20 });
    expect(out.filter((v) => v === 255)).toHaveLength(2);
    expect(out.filter((v) => v > 0)).toHaveLength(2);
  });

  it('handles one-pixel images and one-pixel digits', () => {
    expect(mnistify(Uint8Array.of(255), 1, 1)).toEqual(new Uint8Array(784));
    const dot = grayCanvas(9, 9, 0);
    dot[40] = 200;
    const out = mnistify(dot, 9, 9);
    expect(boundingBox(out)).toEqual({ width: 20, height: 20 });
  });

  it('rejects a buffer that does not match the stated size', () => {
    expect(() => mnistify(new Uint8Array(10), 4, 4)).toThrow(RangeError);
  });
});
