// What routes write in their schemas: references to the shared shapes, lists, error responses, binary bodies.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ErrorSchema } from '../schemas/common.js';
import { DatasetSchema } from '../schemas/dataset.js';
import { TrainingJobSchema } from '../schemas/job.js';
import { ModelSchema } from '../schemas/model.js';
import { PredictResponseSchema } from '../schemas/predict.js';
import { TenantUsageSchema, WhoAmISchema } from '../schemas/tenant-usage.js';
import { ModelVersionSchema, RegisteredModelSchema } from '../schemas/registry.js';
import { V2ErrorSchema, V2InferResponseSchema, V2ModelMetadataSchema } from '../schemas/v2-inference.js';

/** Shapes with an $id: registered once, referenced by routes, listed under components in OpenAPI. */
export const SHARED_SCHEMAS = [
  ErrorSchema,
  TrainingJobSchema,
  ModelSchema,
  RegisteredModelSchema,
  ModelVersionSchema,
  DatasetSchema,
  PredictResponseSchema,
  TenantUsageSchema,
  WhoAmISchema,
  V2ErrorSchema,
  V2InferResponseSchema,
  V2ModelMetadataSchema,
];

/** A typed reference to a shared schema. */
export const ref = <T extends TSchema & { $id?: string }>(schema: T) => Type.Unsafe<Static<T>>(Type.Ref(schema.$id!));

export const list = <T extends TSchema & { $id?: string }>(schema: T) =>
  Type.Object({ items: Type.Array(ref(schema)) });

/** Error responses of a route, all in the one error shape. */
export function errors(...codes: number[]) {
  const err = ref(ErrorSchema);
  return Object.fromEntries(codes.map((c) => [c, err])) as Record<number, typeof err>;
}

/** Error responses of a V2 or TF Serving route, in their protocols' shape `{error}`. */
export function protocolErrors(...codes: number[]) {
  const err = ref(V2ErrorSchema);
  return Object.fromEntries(codes.map((c) => [c, err])) as Record<number, typeof err>;
}

/** A body the handler reads as bytes: documented, not validated as JSON. */
export const binary = (description: string) =>
  Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description, 'x-binary': true });
