import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from './deps.js';
import { UnavailableError } from '../errors.js';
import type { Config } from '../config.js';
import type { RequestLimits } from '../inference/preprocess.js';
import { createBodyBudget, type BodyBudget } from './body-budget.js';

// One budget per app, shared by every prediction protocol: /v1, V2 and TF Serving bodies draw on
// the same MAX_PREDICT_BODY_BYTES, so that speaking three protocols does not triple it.
const budgets = new WeakMap<AppDeps, BodyBudget>();

export function predictBodyBudget(deps: AppDeps): BodyBudget {
  let budget = budgets.get(deps);
  if (!budget) budgets.set(deps, (budget = createBodyBudget(deps.config.MAX_PREDICT_BODY_BYTES)));
  return budget;
}

/** What a chunked prediction body reserves before its first byte: enough for any ordinary image. */
const CHUNKED_FIRST_BYTES = 1024 * 1024;

/**
 * Before a byte of a prediction body is read: its declared length against the budget; a chunked
 * body (no length) takes CHUNKED_FIRST_BYTES, then the rest of its limit if it grows past them.
 * Released when answered or abandoned.
 */
export function holdPredictBodies(app: FastifyInstance): void {
  const { config } = app.deps;
  const bodies = predictBodyBudget(app.deps);
  // A request's work is done when its answer is sent (onSend runs whether or not its client stayed).
  const handlers = new WeakMap<FastifyRequest, () => void>();
  app.addHook('onSend', async (request, _reply, body) => {
    handlers.get(request)?.();
    return body;
  });
  app.addHook('preParsing', async (request, reply, payload) => {
    const caller = request.caller?.quotaOwner ?? `ip:${request.ip}`;
    // A client that left while the earlier hooks ran (a rate-limit round trip to Redis) would
    // never close the reply again: what it reserved would stay taken for good.
    if (request.raw.destroyed || request.raw.socket?.destroyed)
      throw new UnavailableError('the client left before its body was read', 'CLIENT_GONE');
    const declared = Number(request.headers['content-length']);
    const releases: (() => void)[] = [];
    // Given back once the connection is closed and the request's work is done: a client that
    // leaves while its images wait to be decoded must not free room its body still takes.
    let closed = false;
    let handled = false;
    const settle = () => {
      if (closed && handled) releases.splice(0).forEach((release) => release());
    };
    handlers.set(request, () => {
      handled = true;
      settle();
    });
    reply.raw.once('close', () => {
      closed = true;
      settle();
    });
    if (Number.isSafeInteger(declared) && declared >= 0) {
      if (declared > 0) releases.push(bodies.take(caller, Math.min(declared, config.MAX_UPLOAD_BYTES)));
      return payload;
    }
    if (request.headers['transfer-encoding'] === undefined) return payload; // no length, no chunks: no body
    // Multipart is read from the raw request by the multipart plugin, past this hook: the limit, up front.
    if (String(request.headers['content-type'] ?? '').startsWith('multipart/')) {
      releases.push(bodies.take(caller, config.MAX_UPLOAD_BYTES));
      return payload;
    }
    // Chunked, length unknown: a small share up front, before a byte is read; past it the rest of
    // the route's limit at once. A body refused half-way leaves that much behind as garbage, so that
    // step is small, and bodies that grow together cannot all be read half-way and then refused.
    let reserved = Math.min(CHUNKED_FIRST_BYTES, config.MAX_UPLOAD_BYTES);
    let first = bodies.take(caller, reserved);
    releases.push(() => first());
    let seen = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        // Bytes that still arrive after the answer (a refused body) reserve nothing.
        if (closed) return done(null, chunk);
        try {
          if (seen > reserved) {
            // The first share is given back and the whole limit taken, so that the budget judges
            // this body as it would a declared one (a caller's only body may be larger than its half).
            first();
            first = bodies.take(caller, config.MAX_UPLOAD_BYTES);
            reserved = config.MAX_UPLOAD_BYTES;
          }
          done(null, chunk);
        } catch (err) {
          done(err as Error); // Fastify answers with the error's 503
        }
      },
    });
    payload.on('error', (err) => counted.destroy(err));
    counted.on('error', () => {}); // Fastify answers the request; a late error must not reach the process
    return payload.pipe(counted);
  });
}

/** The decoding bounds of every prediction protocol's images, from the settings. */
export const pixelLimitsOf = (
  config: Pick<Config, 'MAX_IMAGE_PIXELS' | 'MAX_REQUEST_PIXELS' | 'MAX_DECODE_MEMORY'>,
): RequestLimits => ({
  maxImagePixels: config.MAX_IMAGE_PIXELS,
  maxRequestPixels: config.MAX_REQUEST_PIXELS,
  maxDecodeBytes: config.MAX_DECODE_MEMORY,
});
