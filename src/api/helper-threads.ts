import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Runs every thread of this process but the one that runs JavaScript at a lower CPU priority:
 * libuv's pool (where sharp decodes and files are read), libvips's and the BMP decoder's
 * threads, V8's helpers. On a busy machine an expensive upload then waits for the CPU instead of
 * taking it from the event loop that answers everyone else; on an idle one it runs as fast as
 * before. Linux gives each thread a nice value of its own; threads start lazily, so the list is
 * read again every `everyMs`. Elsewhere (no /proc) it does nothing.
 */
export function lowerHelperThreads(nice: number, everyMs = 1000): { stop(): void } {
  const done = new Set<number>();
  const pass = () => {
    let tids: string[];
    try {
      tids = readdirSync('/proc/self/task');
    } catch {
      return false;
    }
    for (const entry of tids) {
      const tid = Number(entry);
      if (tid === process.pid || done.has(tid)) continue;
      try {
        setPriority(tid, nice);
        done.add(tid);
      } catch {
        done.add(tid); // gone already, or not ours to change: not retried
      }
    }
    if (done.size > 10_000) done.clear();
    return true;
  };
  if (!pass()) return { stop() {} };
  const timer = setInterval(pass, everyMs).unref();
  return { stop: () => clearInterval(timer) };
}
