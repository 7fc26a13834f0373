import { bearer } from '../../helpers/hostile/send.js';
import type { CaseFile, HostileContext, HostileRequest, RequestCase } from '../../helpers/hostile/types.js';

/**
 * Registered models by name: names and aliases that are not slugs, numbers that are not
 * versions, bodies past their bounds, another tenant's names. Each is a 4xx that says what is
 * wrong; none reaches the registry's scripts with a key it should not name.
 */
const json = { 'content-type': 'application/json' };

const call = (
  method: HostileRequest['method'],
  path: string,
  body?: unknown,
): ((ctx: HostileContext) => HostileRequest) => {
  return (ctx) => ({
    method,
    path,
    headers: { ...bearer(ctx.keys.train), ...(body === undefined ? {} : json) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
};

const refused = (
  name: string,
  request: (ctx: HostileContext) => HostileRequest,
  status: number,
  code: string,
  message: RegExp,
): RequestCase => ({ name, request, expect: { status, code, message } });

const file: CaseFile = {
  cases: [
    refused(
      'a model name of 65 characters',
      call('GET', `/v1/models/${'a'.repeat(65)}/versions`),
      400,
      'INVALID_MODEL_NAME',
      /must be 1–64 characters/,
    ),
    refused(
      'a path segment of 201 characters is refused by the schema',
      call('GET', `/v1/models/${'a'.repeat(201)}/history`),
      400,
      'VALIDATION_ERROR',
      /must NOT have more than 200 characters/,
    ),
    refused(
      'a name with Redis key separators and braces',
      call('GET', '/v1/models/digits%3A%7Bx%7D/versions'),
      400,
      'INVALID_MODEL_NAME',
      /lower-case letters, digits and dashes/,
    ),
    refused(
      'a name in another script: not a slug',
      call('GET', '/v1/models/%D1%86%D0%B8%D1%84%D1%80%D1%8B/versions'),
      400,
      'INVALID_MODEL_NAME',
      /lower-case/,
    ),
    refused(
      'a traversal as a name',
      call('POST', '/v1/models/..%2F..%2Fetc/predict', { pixels: new Array(784).fill(0) }),
      400,
      'INVALID_MODEL_NAME',
      /model name/,
    ),
    refused(
      'an empty alias after @',
      call('POST', '/v1/models/digits@/predict', { pixels: new Array(784).fill(0) }),
      400,
      'INVALID_MODEL_NAME',
      /alias "" must be 1–32 characters/,
    ),
    refused(
      'a version that is not an integer',
      call('GET', '/v1/models/digits/versions/1e400'),
      400,
      'VALIDATION_ERROR',
      /version/,
    ),
    refused(
      'a version past 2^31',
      call('GET', '/v1/models/digits/versions/99999999999'),
      400,
      'VALIDATION_ERROR',
      /version must be <= 2147483647/,
    ),
    refused(
      'moving the built-in latest alias',
      call('PUT', '/v1/models/digits/aliases/latest', { version: 1 }),
      400,
      'INVALID_ALIAS',
      /"latest" always holds the newest version/,
    ),
    refused(
      'an alias body with a string for a version',
      call('PUT', '/v1/models/digits/aliases/production', { version: '1; DROP' }),
      400,
      'VALIDATION_ERROR',
      /version must be integer/,
    ),
    refused(
      'an alias body with extra fields',
      call('PUT', '/v1/models/digits/aliases/production', { version: 1, force: true }),
      400,
      'VALIDATION_ERROR',
      /unknown field "force"/,
    ),
    refused(
      'a description of 2,001 characters',
      call('PATCH', '/v1/models/digits', { description: 'x'.repeat(2001) }),
      400,
      'VALIDATION_ERROR',
      /more than 2000 characters/,
    ),
    refused(
      '21 tags',
      call('PATCH', '/v1/models/digits', {
        tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`t${i}`, ''])),
      }),
      400,
      'VALIDATION_ERROR',
      /more than 20 properties/,
    ),
    refused(
      'a tag key with spaces',
      call('PATCH', '/v1/models/digits', { tags: { 'a b': 'c' } }),
      400,
      'VALIDATION_ERROR',
      /tags/,
    ),
    refused(
      'a job naming a UUID-shaped model, which would collide with the ids',
      call('POST', '/v1/training-jobs', { model: 'abcdef12-3456-4789-abcd-ef0123456789', epochs: 1 }),
      400,
      'VALIDATION_ERROR',
      /must not look like a model id/,
    ),
    refused(
      'a promote rule on a metric that does not exist',
      call('POST', '/v1/training-jobs', { epochs: 1, promote: { alias: 'production', if: { metric: 'f1' } } }),
      400,
      'VALIDATION_ERROR',
      /metric/,
    ),
    {
      name: "another tenant's name answers 404 like a name that does not exist",
      request: (ctx) => ({
        method: 'GET',
        path: '/v1/models/nobody-has-this/versions',
        headers: bearer(ctx.keys.otherTrain),
      }),
      expect: { status: 404, code: 'MODEL_NOT_FOUND', message: /model "nobody-has-this" not found/ },
    },
    {
      name: 'a predict key cannot move an alias',
      request: (ctx) => ({
        method: 'PUT',
        path: '/v1/models/digits/aliases/production',
        headers: { ...bearer(ctx.keys.predict), ...json },
        body: JSON.stringify({ version: 1 }),
      }),
      expect: { status: 403, code: 'INSUFFICIENT_SCOPE' },
    },
  ],
};

export default file;
