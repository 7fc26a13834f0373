// The API's types as the typed client has them, generated from openapi.yaml (src/client), so
// that the dashboard, the CLI and the client share one description of the API; values only from
// schema files that import no schema library (job-states.ts).
import type { components } from '../../src/client/api-types.js';

type Schemas = components['schemas'];
export type TrainingJob = Schemas['TrainingJob'];
export type JobState = TrainingJob['state'];
export type Progress = TrainingJob['progress'];
export type DatasetResource = Schemas['Dataset'];
export type ErrorBody = Schemas['Error'];
export type FieldError = NonNullable<ErrorBody['errors']>[number];
/** Models stored before per-class metrics were computed have no confusionMatrix or perClass. */
export type Model = Schemas['Model'];
export type PredictResponse = Schemas['PredictResponse'];
export type ModelVersion = Schemas['ModelVersion'];
export type RegisteredModel = Schemas['RegisteredModel'];

export interface ListOf<T> {
  items: T[];
}

/** The subset of JSON Schema the hyperparameter form reads. */
export interface ParamSchema {
  type: 'integer' | 'number' | 'string' | 'array';
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: string[];
  items?: ParamSchema;
}

export { FINAL_JOB_STATES, isFinal } from '../../src/schemas/job-states.js';
