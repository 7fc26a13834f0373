import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema, Static } from '@sinclair/typebox';
import { BadRequestError } from './errors.js';
import { childPointer, type FieldError } from './schemas/common.js';

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

/** What the messages read of an ajv error (Fastify's FastifySchemaValidationError has it too). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: object;
  message?: string;
}

/**
 * One ajv error as a message a person can act on ("body.epochs must be >= 1": which field, what
 * is wrong, for enums the allowed values) and as the field it names, by JSON pointer. `part`
 * names the data: "body", "querystring", "params", "data".
 */
export function describeSchemaError(e: SchemaError, part: string): { message: string; field: FieldError } {
  const where = `${part}${e.instancePath.replaceAll('/', '.')}`;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const field = { path: childPointer(e.instancePath, name), message: 'is not a known field' };
      return { message: `${where} has an unknown field "${name}"`, field };
    }
    case 'required': {
      const name = String(params.missingProperty);
      const field = { path: childPointer(e.instancePath, name), message: 'is required' };
      return { message: `${where} is missing the required field "${name}"`, field };
    }
    case 'enum': {
      const what = `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
      return { message: `${where} ${what}`, field: { path: e.instancePath, message: what } };
    }
    default: {
      const what = e.message ?? 'is invalid';
      return { message: `${where} ${what}`, field: { path: e.instancePath, message: what } };
    }
  }
}

/** The BadRequestError for ajv's first error, naming the field it is about. */
export function validationError(errors: readonly SchemaError[] | null | undefined, part: string): BadRequestError {
  if (!errors?.[0]) return new BadRequestError(`${part} is invalid`, 'VALIDATION_ERROR');
  const { message, field } = describeSchemaError(errors[0], part);
  return new BadRequestError(message, 'VALIDATION_ERROR', [field]);
}

/** Compiles a schema into a function that returns typed data or throws a BadRequestError. */
export function compileChecker<S extends TSchema>(schema: S, what: string): (value: unknown) => Static<S> {
  const validate: ValidateFunction = strictAjv.compile(schema);
  return (value) => {
    if (validate(value)) return value as Static<S>;
    throw validationError(validate.errors, what);
  };
}
