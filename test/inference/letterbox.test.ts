import { describe, expect, it } from 'vitest';
import { letterbox } from '../../src/inference/letterbox.js';

describe('letterbox (the fit rule)', () => {
  it('returns a 28×28 image as it is, without inverting a light one', () => {
    const gray = Uint8Array.from({ length: 784 }, (_, i) => (i * 7) % 256);
    expect(letterbox(gray, 28, 28)).toEqual(gray);
  });

  it('fits a wide image to 28 wide, keeps its aspect and centres it between black bands', () => {
    const out = letterbox(new Uint8Array(56 * 14).fill(200), 56, 14);
    expect(out.length).toBe(784);
    const row = (y: number) => [...out.subarray(y * 28, y * 28 + 28)];
    expect(row(0)).toEqual(new Array(28).fill(0)); // the band above
    expect(row(13)).toEqual(new Array(28).fill(200)); // area-averaged, same level
    expect(row(27)).toEqual(new Array(28).fill(0));
    expect(out.filter((v) => v === 200).length).toBe(28 * 7);
  });

  it('refuses pixels that do not make the size given', () => {
    expect(() => letterbox(new Uint8Array(10), 4, 4)).toThrow(RangeError);
  });
});
