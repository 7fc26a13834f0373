import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import { createBodyBudget } from '../../src/api/body-budget.js';

const MiB = 1024 * 1024;

describe('createBodyBudget', () => {
  it('holds a caller to half the total and everyone to the total, and gives bytes back once', () => {
    const budget = createBodyBudget(8 * MiB);
    const a1 = budget.take('a', 3 * MiB);
    expect(() => budget.take('a', 2 * MiB)).toThrow(UnavailableError);
    expect(() => budget.take('a', 2 * MiB)).toThrow(
      'your requests already have 3.0 MiB of bodies being read, at most 4.0 MiB per tenant',
    );
    const a2 = budget.take('a', 1 * MiB);
    budget.take('b', 3 * MiB);
    expect(() => budget.take('c', 2 * MiB)).toThrow(
      'this server is reading 7.0 MiB of prediction bodies, at most 8.0 MiB (MAX_PREDICT_BODY_BYTES)',
    );
    expect(budget.held()).toBe(7 * MiB);
    a1();
    a1();
    expect(budget.held('a')).toBe(1 * MiB);
    expect(budget.held()).toBe(4 * MiB);
    a2();
    expect(budget.held('a')).toBe(0);
  });

  it('lets one body over the whole budget through when nothing else is being read', () => {
    const budget = createBodyBudget(2 * MiB);
    const release = budget.take('a', 10 * MiB);
    expect(() => budget.take('b', 1)).toThrow(UnavailableError);
    release();
    expect(budget.held()).toBe(0);
  });
});
