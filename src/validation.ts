import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema, Static } from '@sinclair/typebox';
import { BadRequestError } from './errors.js';

// ajv and ajv-formats are CommonJS with a default export.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

/**
 * One ajv set-up for every place that validates: the API's request bodies and the worker's
 * job data. Bodies are never coerced ("5" is not a number) and unknown fields are errors,
 * not silently dropped; query strings and path params are coerced from text.
 */
export function createAjv(opts: { coerce: boolean }) {
  const ajv = new Ajv({
    allErrors: false,
    coerceTypes: opts.coerce ? 'array' : false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

const strictAjv = createAjv({ coerce: false });

/** Compiles a schema into a function that returns typed data or throws a BadRequestError. */
export function compileChecker<S extends TSchema>(schema: S, what: string): (value: unknown) => Static<S> {
  const validate: ValidateFunction = strictAjv.compile(schema);
  return (value) => {
    if (validate(value)) return value as Static<S>;
    const e = validate.errors?.[0];
    const where = e?.instancePath ? `${what}${e.instancePath.replaceAll('/', '.')}` : what;
    throw new BadRequestError(`${where} ${e?.message ?? 'is invalid'}`, 'VALIDATION_ERROR');
  };
}
