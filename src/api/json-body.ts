import type { FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { BadRequestError } from '../errors.js';

/**
 * The JSON body parser: like Fastify's own (secure-json-parse refusing `__proto__` and
 * `constructor.prototype` keys), but each refusal says what was wrong.
 */
export function parseJson(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) {
  if (body.trim() === '') return done(new BadRequestError('the JSON body is empty', 'EMPTY_BODY'));
  try {
    done(null, sjson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }));
  } catch (err) {
    const message = (err as Error).message;
    if (/prototype/i.test(message)) {
      done(new BadRequestError('the JSON body may not use __proto__ or constructor.prototype keys', 'FORBIDDEN_KEY'));
    } else {
      done(new BadRequestError(`the body is not valid JSON: ${message}`, 'INVALID_JSON'));
    }
  }
}
