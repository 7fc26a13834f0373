import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isCustom } from '../helpers/hostile/types.js';
import { loadCorpus, probeHealth, runCase, startArena, type Arena } from '../helpers/hostile/harness.js';

/**
 * The hostile corpus replayed against real API processes: every case's own expectation, and
 * for every case that `/healthz` answered 200 while it ran, that the process is still alive
 * after it, and that no answer shows a path of the server's.
 */
const corpus = await loadCorpus();
const env = Object.assign({}, ...corpus.map((f) => f.env)) as Record<string, string>;

let arena: Arena;

beforeAll(async () => {
  arena = await startArena(inject('redisUrl'), env);
}, 120_000);

afterAll(async () => {
  await arena?.close();
});

it('holds at least 40 cases', () => {
  expect(corpus.flatMap((f) => f.cases).length).toBeGreaterThanOrEqual(40);
});

for (const { file, cases } of corpus) {
  describe(file, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const target = c.target ?? 'keyed';
        const api = arena.apis[target];
        const health = probeHealth(api.url);
        let answer;
        try {
          answer = await runCase(c, arena.context(target));
        } finally {
          const statuses = await health.stop();
          expect(statuses.length, '/healthz was asked while the case ran').toBeGreaterThan(0);
          expect(
            statuses.filter((s) => s !== 200),
            '/healthz answers other than 200',
          ).toEqual([]);
          expect(api.alive(), `the ${target} API process is alive:\n${api.output().slice(-4000)}`).toBe(true);
        }
        if (!isCustom(c)) {
          const statuses = Array.isArray(c.expect.status) ? c.expect.status : [c.expect.status];
          expect(statuses, `status of ${answer!.text.slice(0, 500)}`).toContain(answer!.status);
          if (c.expect.code !== undefined) {
            const codes = Array.isArray(c.expect.code) ? c.expect.code : [c.expect.code];
            expect(codes).toContain(answer!.json?.code);
          }
          // The one error shape's message, or the standard protocols' `{error}` on their routes.
          if (c.expect.message) expect(String(answer!.json?.message ?? answer!.json?.error)).toMatch(c.expect.message);
          expect(answer!.text).not.toContain(arena.dataDir);
        }
      });
    }
  });
}
