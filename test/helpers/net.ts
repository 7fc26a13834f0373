import { createServer } from 'node:net';

/**
 * One freePort for tests and the benchmark. The benchmark replays the hostile corpus of the
 * tests, so bench/ imports test/helpers and never the other way round.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The value of one sample line of a Prometheus text exposition, or undefined when absent. */
export function promSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
