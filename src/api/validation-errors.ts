import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { validationError } from '../validation.js';

/**
 * Fastify's `schemaErrorFormatter`: ajv's first error as a 400 naming the field (message and
 * `errors[].path`), the same wording as every other validation. `dataVar` is "body",
 * "querystring", "params" or "headers".
 */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  return Object.assign(validationError(errors, dataVar), { validation: errors, validationContext: dataVar });
}
