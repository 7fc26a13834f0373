import { expect } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';

/** The error `fn` throws, asserting it is an InvalidInputError. */
export function invalid(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}
