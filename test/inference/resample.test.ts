import { describe, expect, it } from 'vitest';
import { resize } from '../../src/inference/resample.js';

describe('resize', () => {
  it('keeps an image of the same size as it is', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(resize(src, 3, 2, 3, 2))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('averages the covered area when shrinking', () => {
    const src = Float32Array.from([0, 4, 8, 12]);
    expect(Array.from(resize(src, 2, 2, 1, 1))).toEqual([6]);
    // A one-pixel line in a 4-wide row fades to a quarter instead of vanishing.
    expect(Array.from(resize(Float32Array.from([0, 0, 8, 0]), 4, 1, 1, 1))).toEqual([2]);
  });

  it('interpolates between the nearest samples when enlarging', () => {
    expect(Array.from(resize(Float32Array.from([0, 8]), 2, 1, 4, 1))).toEqual([0, 2, 6, 8]);
  });
});
