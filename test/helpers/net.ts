// One freePort for tests and the benchmark: bench/ does not import test/, so it lives there.
export { freePort } from '../../bench/lib.js';

/** The value of one sample line of a Prometheus text exposition, or undefined when absent. */
export function promSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
