import { expect } from 'vitest';
import { bearer, send } from '../../helpers/hostile/send.js';
import type { CaseFile, HostileContext, HostileRequest, RequestCase } from '../../helpers/hostile/types.js';

/**
 * Training jobs an attacker could queue: networks and batches that would take a trainer past
 * its memory, work that would hold a worker for a day, run-time limits out of range, bodies
 * built to be slow to validate, floods. No worker runs beside the corpus processes, so a job
 * that is queued stays queued: every case that queues one cancels and deletes it.
 */
const json = { 'content-type': 'application/json' };
const TIMEOUT_SECONDS = 3600;

const submit = (ctx: HostileContext, body: string, key = ctx.keys.train): HostileRequest => ({
  method: 'POST',
  path: '/v1/training-jobs',
  headers: { ...json, ...bearer(key) },
  body,
});

/** A submission that must be refused with a 400: `code` and what the message says. */
const refused = (name: string, body: unknown, code: string, message: RegExp): RequestCase => ({
  name,
  request: (ctx) => submit(ctx, typeof body === 'string' ? body : JSON.stringify(body)),
  expect: { status: 400, code, message },
});

/** Cancels and deletes a job a case queued, so that nothing piles up in the queue. */
async function discard(ctx: HostileContext, id: string, key = ctx.keys.train): Promise<void> {
  const cancel = await send(ctx, { method: 'POST', path: `/v1/training-jobs/${id}/cancel`, headers: bearer(key) });
  expect(cancel.status).toBe(202);
  const del = await send(ctx, { method: 'DELETE', path: `/v1/training-jobs/${id}`, headers: bearer(key) });
  expect(del.status).toBe(204);
}

const file: CaseFile = {
  // Low enough that a 100-epoch job is past it on mnist-sample too; far above a default job (26).
  env: { MAX_JOB_GFLOP: '5000', JOB_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) },
  cases: [
    refused(
      '8 × 2048 hidden units (31 M parameters, 124 MB of model) are refused',
      { hiddenLayers: Array(8).fill(2048), batchSize: 1, epochs: 1 },
      'MODEL_TOO_LARGE',
      /^the network has 31,002,634 parameters; at most [\d,]+ \(MAX_MODEL_PARAMS\)/,
    ),
    refused(
      'batch 4096 with the widest layers under the parameter cap is refused',
      { hiddenLayers: [2048, 2048, 1050], batchSize: 4096, epochs: 1 },
      'BATCH_TOO_LARGE',
      /^batchSize × hidden units is 4,096 × 5,146 = 21,078,016; at most [\d,]+ \(MAX_BATCH_UNITS\)/,
    ),
    {
      name: '100 epochs of a network under the parameter cap but over the work cap are refused',
      run: async (ctx) => {
        const datasets = await send(ctx, { method: 'GET', path: '/v1/datasets', headers: bearer(ctx.keys.train) });
        const items = (datasets.json as { items: { id: string; available: boolean }[] }).items;
        const fashion = items.some((d) => d.id === 'fashion-mnist' && d.available);
        const dataset = fashion ? 'fashion-mnist' : 'mnist-sample';
        const body = { dataset, hiddenLayers: [2048], epochs: 100 }; // 1,628,170 parameters
        const res = await send(ctx, submit(ctx, JSON.stringify(body)));
        expect(res.status).toBe(400);
        expect(res.json?.code).toBe('JOB_TOO_LARGE');
        const samples = fashion ? '60,000' : '8,000';
        expect(res.json?.message).toMatch(
          new RegExp(
            `^the job needs about [\\d,]+ GFLOP \\(6 × 1,628,170 parameters × ${samples} training samples × 100 epochs\\); at most 5,000 \\(MAX_JOB_GFLOP\\)`,
          ),
        );
      },
    },
    refused(
      'timeoutSeconds above JOB_TIMEOUT_SECONDS is refused',
      { timeoutSeconds: TIMEOUT_SECONDS + 1 },
      'TIMEOUT_TOO_LONG',
      /^timeoutSeconds is 3,601; at most 3,600 \(JOB_TIMEOUT_SECONDS\)$/,
    ),
    refused('timeoutSeconds 0 is refused', { timeoutSeconds: 0 }, 'VALIDATION_ERROR', /timeoutSeconds/),
    refused('a negative timeoutSeconds is refused', { timeoutSeconds: -60 }, 'VALIDATION_ERROR', /timeoutSeconds/),
    refused('a fractional timeoutSeconds is refused', { timeoutSeconds: 1.5 }, 'VALIDATION_ERROR', /timeoutSeconds/),
    refused(
      'a huge timeoutSeconds (1e308) is refused',
      { timeoutSeconds: 1e308 },
      'VALIDATION_ERROR',
      /timeoutSeconds/,
    ),
    refused(
      'a timeoutSeconds beyond double range (1e999) is refused',
      '{"timeoutSeconds": 1e999}',
      'VALIDATION_ERROR',
      /timeoutSeconds/,
    ),
    refused('timeoutSeconds as text is refused', { timeoutSeconds: '60' }, 'VALIDATION_ERROR', /timeoutSeconds/),
    refused('9 hidden layers are refused', { hiddenLayers: Array(9).fill(8) }, 'VALIDATION_ERROR', /hiddenLayers/),
    refused('a hidden layer of 0 units is refused', { hiddenLayers: [64, 0] }, 'VALIDATION_ERROR', /hiddenLayers/),
    refused('a hidden layer of 2049 units is refused', { hiddenLayers: [2049] }, 'VALIDATION_ERROR', /hiddenLayers/),
    refused(
      '100,000 hidden layers are refused without training anything',
      `{"hiddenLayers":[${Array(100_000).fill(1).join(',')}]}`,
      'VALIDATION_ERROR',
      /hiddenLayers/,
    ),
    refused('learningRate "NaN" is refused', { learningRate: 'NaN' }, 'VALIDATION_ERROR', /learningRate/),
    refused('learningRate "Infinity" is refused', { learningRate: 'Infinity' }, 'VALIDATION_ERROR', /learningRate/),
    refused('learningRate 1e999 is refused', '{"learningRate": 1e999}', 'VALIDATION_ERROR', /learningRate/),
    {
      name: 'learningRate 1e-300 is a valid job: queued as sent, then cancelled',
      run: async (ctx) => {
        const res = await send(ctx, submit(ctx, JSON.stringify({ learningRate: 1e-300, epochs: 1 })));
        expect(res.status).toBe(202);
        const job = res.json as { id: string; params: { learningRate: number }; timeoutSeconds: number };
        expect(job.params.learningRate).toBe(1e-300);
        expect(job.timeoutSeconds).toBe(TIMEOUT_SECONDS);
        await discard(ctx, job.id);
      },
    },
    refused(
      'a body of 10,000 fields is refused naming the first unknown one',
      `{${Array.from({ length: 10_000 }, (_, i) => `"f${i}":${i}`).join(',')}}`,
      'VALIDATION_ERROR',
      /unknown field "f0"/,
    ),
    {
      name: 'submissions past MAX_QUEUED_JOBS_PER_KEY get a 429 naming the setting, and are cancelled',
      run: async (ctx) => {
        const key = ctx.keys.otherTrain;
        const queued: string[] = [];
        try {
          let last = await send(ctx, submit(ctx, '{"epochs":1}', key));
          for (let i = 0; i < 100 && last.status === 202; i++) {
            queued.push((last.json as { id: string }).id);
            last = await send(ctx, submit(ctx, '{"epochs":1}', key));
          }
          expect(last.status).toBe(429);
          expect(last.json?.code).toBe('TOO_MANY_QUEUED_JOBS');
          expect(last.json?.message).toMatch(/\(MAX_QUEUED_JOBS_PER_KEY\)/);
          expect(queued.length).toBeGreaterThan(0);
        } finally {
          for (const id of queued) await discard(ctx, id, key);
        }
        // Room again once they are gone.
        const again = await send(ctx, submit(ctx, '{"epochs":1}', key));
        expect(again.status).toBe(202);
        await discard(ctx, (again.json as { id: string }).id, key);
      },
    },
    {
      name: 'a burst of 30 parallel submissions answers only 202 or 429, and every job is cancelled',
      target: 'open',
      run: async (ctx) => {
        const burst = await Promise.all(
          Array.from({ length: 30 }, () =>
            send(ctx, { method: 'POST', path: '/v1/training-jobs', headers: json, body: '{"epochs":1}' }),
          ),
        );
        const ids = burst.filter((r) => r.status === 202).map((r) => (r.json as { id: string }).id);
        try {
          for (const r of burst) {
            expect([202, 429]).toContain(r.status);
            if (r.status === 429) expect(r.json?.code).toMatch(/^(TOO_MANY_QUEUED_JOBS|RATE_LIMITED)$/);
          }
        } finally {
          for (const id of ids) {
            await send(ctx, { method: 'POST', path: `/v1/training-jobs/${id}/cancel` });
            await send(ctx, { method: 'DELETE', path: `/v1/training-jobs/${id}` });
          }
        }
        const left = await send(ctx, { method: 'GET', path: '/v1/training-jobs?state=queued&limit=500' });
        expect((left.json as { items: { id: string }[] }).items.filter((j) => ids.includes(j.id))).toEqual([]);
      },
    },
  ],
};

export default file;
