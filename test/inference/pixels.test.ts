import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { pixelsFromJson, toGray } from '../../src/inference/pixels.js';

const flat = Array.from({ length: 784 }, (_, i) => i % 256);
const nested = Array.from({ length: 28 }, (_, r) => flat.slice(r * 28, r * 28 + 28));

function refusal(value: unknown, index?: number): InvalidInputError {
  try {
    pixelsFromJson(value, index);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('expected pixelsFromJson to refuse');
}

describe('pixelsFromJson', () => {
  it('accepts 784 flat values and 28 rows of 28, identically', () => {
    const a = pixelsFromJson(flat);
    expect(a).toEqual(Uint8Array.from(flat));
    expect(pixelsFromJson(nested)).toEqual(a);
  });

  it('rounds fractional values', () => {
    const values = new Array<number>(784).fill(0);
    values.splice(0, 4, 0.4, 0.5, 254.6, 255);
    expect([...pixelsFromJson(values).subarray(0, 4)]).toEqual([0, 1, 255, 255]);
  });

  it('refuses a wrong count, naming the instance', () => {
    expect(refusal(flat.slice(1), 3).message).toBe('instances[3]: expected 784 pixel values (flat or 28×28), got 783');
    expect(refusal(flat.slice(1)).message).toBe('expected 784 pixel values (flat or 28×28), got 783');
    expect(refusal([]).message).toBe('expected 784 pixel values (flat or 28×28), got 0');
  });

  it('refuses 28 rows of 27, and 27 rows of 28', () => {
    expect(refusal(nested.map((row) => row.slice(1))).message).toBe(
      'expected 784 pixel values (flat or 28×28), got 28 rows but row 0 has 27 values',
    );
    expect(refusal(nested.slice(1)).message).toBe('expected 784 pixel values (flat or 28×28), got 27 rows');
    const ragged = nested.map((row, r) => (r === 5 ? 7 : row));
    expect(refusal(ragged).message).toBe('expected 784 pixel values (flat or 28×28), got 28 rows but row 5 is 7');
  });

  it('refuses a 100,000-element array by its count', () => {
    const huge = new Array<unknown>(100_000).fill('not even a number');
    expect(refusal(huge, 0).message).toBe('instances[0]: expected 784 pixel values (flat or 28×28), got 100000');
    expect(refusal([huge]).message).toBe('expected 784 pixel values (flat or 28×28), got 1 rows');
  });

  it('refuses values that are not arrays at all', () => {
    expect(refusal('0,0,0').message).toBe('expected 784 pixel values (flat or 28×28), got a string "0,0,0"');
    expect(refusal(null).message).toBe('expected 784 pixel values (flat or 28×28), got null');
    expect(refusal({ pixels: flat }).message).toBe('expected 784 pixel values (flat or 28×28), got an object');
  });

  it('refuses strings, NaN, Infinity and out-of-range values with their position', () => {
    const withValue = (i: number, v: unknown) => flat.map((p, j) => (j === i ? v : p));
    expect(refusal(withValue(17, 300)).message).toBe('pixels[17] is 300; pixel values must be 0–255');
    expect(refusal(withValue(0, -1)).message).toBe('pixels[0] is -1; pixel values must be 0–255');
    expect(refusal(withValue(783, 256), 2).message).toBe(
      'instances[2]: pixels[783] is 256; pixel values must be 0–255',
    );
    expect(refusal(withValue(4, 255.2)).message).toBe('pixels[4] is 255.2; pixel values must be 0–255');
    expect(refusal(withValue(9, NaN)).message).toBe('pixels[9] is NaN; pixel values must be 0–255');
    expect(refusal(withValue(9, Infinity)).message).toBe('pixels[9] is Infinity; pixel values must be 0–255');
    expect(refusal(withValue(3, '12')).message).toBe('pixels[3] is a string "12"; pixel values must be numbers 0–255');
    expect(refusal(withValue(3, null)).message).toBe('pixels[3] is null; pixel values must be numbers 0–255');
    const nestedBad = nested.map((row, r) => (r === 2 ? row.map((v, c) => (c === 5 ? 999 : v)) : row));
    expect(refusal(nestedBad).message).toBe('pixels[2][5] is 999; pixel values must be 0–255');
  });
});

describe('toGray', () => {
  it('gives 8-bit RGB bytes the luminance any other raster of the same samples gets', () => {
    const samples = Array.from({ length: 3 * 4096 }, (_, i) => (i * 7919 + (i >> 3) * 104729) % 256);
    const bytes = toGray({ width: 64, height: 64, channels: 3, data: Uint8Array.from(samples), maxValue: 255 });
    const array = toGray({ width: 64, height: 64, channels: 3, data: samples, maxValue: 255 });
    expect(Array.from(bytes)).toEqual(Array.from(array));
    expect(bytes[1]).toBe(Math.round(0.299 * samples[3]! + 0.587 * samples[4]! + 0.114 * samples[5]!));
  });

  it('weights channels by luminance', () => {
    const rgb = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30);
    expect([...toGray({ width: 4, height: 1, channels: 3, data: rgb, maxValue: 255 })]).toEqual([76, 150, 29, 18]);
  });

  it('composites dark ink onto white and light ink onto black', () => {
    // Two opaque ink pixels and two fully transparent ones whose hidden colour must not matter.
    const dark = Uint8Array.of(20, 255, 20, 255, 200, 0, 90, 0);
    expect([...toGray({ width: 4, height: 1, channels: 2, data: dark, maxValue: 255 })]).toEqual([20, 20, 255, 255]);
    const light = Uint8Array.of(240, 255, 230, 255, 10, 0, 90, 0);
    expect([...toGray({ width: 4, height: 1, channels: 2, data: light, maxValue: 255 })]).toEqual([240, 230, 0, 0]);
    const halfInk = Uint16Array.of(0, 65535, 0, 32768);
    expect([...toGray({ width: 2, height: 1, channels: 2, data: halfInk, maxValue: 65535 })]).toEqual([0, 127]);
  });
});
