import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The nice value of each thread of a fresh node process after lowerHelperThreads(7): main first. */
const script = `
import { Worker } from 'node:worker_threads';
import { readdirSync, readFileSync } from 'node:fs';
import { lowerHelperThreads } from './src/api/helper-threads.ts';
const nice = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
await new Promise((r) => worker.once('online', r));
const helpers = lowerHelperThreads(7, 20);
// A thread started afterwards is lowered on a later pass.
const late = new Worker('setInterval(() => {}, 1000)', { eval: true });
await new Promise((r) => late.once('online', r));
await new Promise((r) => setTimeout(r, 200));
const tids = readdirSync('/proc/self/task').map(Number);
console.log(JSON.stringify({ main: nice(process.pid), others: tids.filter((t) => t !== process.pid).map(nice) }));
helpers.stop();
process.exit(0);
`;

describe.skipIf(!existsSync('/proc/self/task'))('helper threads at a lower CPU priority', () => {
  it('lowers every thread of the process but the event loop, including threads started later', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const { main, others } = JSON.parse(out.trim().split('\n').pop()!) as { main: number; others: number[] };
    expect(main).toBe(0);
    expect(others.length).toBeGreaterThanOrEqual(4); // V8's helpers, the two workers
    expect(new Set(others)).toEqual(new Set([7]));
  });
});
