import { describe, expect, it } from 'vitest';
import { TooManyRequestsError } from '../../src/errors.js';
import { createStreamSlots } from '../../src/api/stream-slots.js';

describe('stream slots', () => {
  it('holds each caller to its limit and the process to the total, and gives slots back once', () => {
    const slots = createStreamSlots({ perCaller: 2, total: 3 });
    const a1 = slots.take('a');
    slots.take('a');
    expect(() => slots.take('a')).toThrow(/2 event streams open.*MAX_EVENT_STREAMS_PER_KEY is 2/);
    slots.take('b');
    expect(() => slots.take('c')).toThrow(/3 event streams open, its limit \(MAX_EVENT_STREAMS is 3\)/);
    a1();
    a1(); // a second release gives back nothing more
    expect(slots.open()).toBe(2);
    expect(slots.open('a')).toBe(1);
    slots.take('c');
    expect(() => slots.take('a')).toThrow(TooManyRequestsError);
  });

  it('takes 0 as no limit', () => {
    const slots = createStreamSlots({ perCaller: 0, total: 0 });
    for (let i = 0; i < 100; i++) slots.take('a');
    expect(slots.open('a')).toBe(100);
  });
});
