// Types from the service's own schemas, so a change there fails this build; values only from
// schema files that import no schema library (job-states.ts).
import type { Static } from '@sinclair/typebox';
import type { ErrorBody, FieldError } from '../../src/schemas/common.js';
import type { DatasetResource } from '../../src/schemas/dataset.js';
import type { JobState, Progress, TrainingJob } from '../../src/schemas/job.js';
import type { ModelMetadata } from '../../src/schemas/model.js';
import type { PredictResponseSchema } from '../../src/schemas/predict.js';
import type { ModelVersion, RegisteredModel } from '../../src/schemas/registry.js';

export type { DatasetResource, ErrorBody, FieldError, JobState, ModelVersion, Progress, RegisteredModel, TrainingJob };

/** Models stored before per-class metrics were computed have no confusionMatrix or perClass. */
export type Model = ModelMetadata;

export type PredictResponse = Static<typeof PredictResponseSchema>;

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
