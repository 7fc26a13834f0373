import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import { createGate } from '../../src/inference/gate.js';

/** A task that records when it runs and ends when told. */
function held(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { run: async () => (log.push(`start ${name}`), await done, log.push(`end ${name}`)), finish };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('createGate', () => {
  it('runs at most `limit` tasks and at most `budget` of weight at once, and refuses past the queue', async () => {
    const gate = createGate(2, 100, 2, 'images');
    const log: string[] = [];
    const [big, other, small] = [held(log, 'big'), held(log, 'other-big'), held(log, 'small')];
    const runs = [gate(90, big.run), gate(90, other.run), gate(5, small.run)];
    await turn();
    expect(log).toEqual(['start big']); // the second big one waits for the weight, the small one behind it
    await expect(gate(1, async () => 1)).rejects.toThrow(UnavailableError);
    big.finish();
    await turn();
    await turn();
    expect(log).toEqual(['start big', 'end big', 'start other-big', 'start small']);
    other.finish();
    small.finish();
    await Promise.all(runs);
    expect(await gate(1000, async () => 'alone')).toBe('alone'); // heavier than the budget: runs alone
  });
});
