import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/**
 * Turns ajv's first error into a message a person can act on: which field, what is wrong,
 * and for enums the allowed values. `dataVar` is "body", "querystring", "params" or "headers".
 */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0]!;
  const where = `${dataVar}${e.instancePath.replaceAll('/', '.')}`;
  const params = e.params as Record<string, unknown>;
  let message: string;
  switch (e.keyword) {
    case 'additionalProperties':
      message = `${where} has an unknown field "${String(params.additionalProperty)}"`;
      break;
    case 'enum':
      message = `${where} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'required':
      message = `${where} is missing the required field "${String(params.missingProperty)}"`;
      break;
    default:
      message = `${where} ${e.message ?? 'is invalid'}`;
  }
  return Object.assign(new Error(message), { validation: errors, validationContext: dataVar });
}
