import { describe, expect, it } from 'vitest';
import { ABORT_TIMEOUT, startRunTimeLimit } from '../../src/worker/run-time-limit.js';

const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('run-time limit', () => {
  it('aborts with the timeout reason once the limit is used up, counting earlier attempts', async () => {
    const recorded: number[] = [];
    // 1 s limit with 900 ms already spent by earlier attempts: about 100 ms left.
    const clock = startRunTimeLimit({
      limitSeconds: 1,
      spentMs: 900,
      record: async (ms) => void recorded.push(ms),
      recordEveryMs: 20,
    });
    expect(await aborted(clock.signal)).toBe(ABORT_TIMEOUT);
    expect(clock.spentMs()).toBeGreaterThanOrEqual(1000);
    await clock.stop();
    // Recorded while it ran and once at the end, never below what earlier attempts spent.
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    expect(recorded.every((ms) => ms >= 900)).toBe(true);
    expect(recorded.at(-1)).toBeGreaterThanOrEqual(1000);
  });

  it('aborts at once when earlier attempts used the whole limit', async () => {
    const clock = startRunTimeLimit({ limitSeconds: 5, spentMs: 6000, record: async () => {} });
    expect(await aborted(clock.signal)).toBe(ABORT_TIMEOUT);
    await clock.stop();
  });

  it("passes the job's own abort through with its reason, and a failed record does not throw", async () => {
    const parent = new AbortController();
    const clock = startRunTimeLimit({
      limitSeconds: 3600,
      spentMs: 0,
      parent: parent.signal,
      record: () => Promise.reject(new Error('redis away')),
    });
    expect(clock.signal.aborted).toBe(false);
    parent.abort('cancel');
    expect(clock.signal.aborted).toBe(true);
    expect(clock.signal.reason).toBe('cancel');
    await expect(clock.stop()).resolves.toBeUndefined();
  });

  it('never aborts a job that stops before its limit', async () => {
    const clock = startRunTimeLimit({ limitSeconds: 1, spentMs: 0, record: async () => {} });
    await clock.stop();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(clock.signal.aborted).toBe(false);
  });
});
