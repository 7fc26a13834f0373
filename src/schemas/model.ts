import { Type, type Static } from '@sinclair/typebox';
import { CLASSES_CEILING, IMAGE_SIDE, MIN_CLASSES } from './image-shape.js';
import { ClassLabelsSchema, PreprocessSchema } from './classes.js';
import { TrainingParamsSchema } from './training-params.js';
import { IsoDate } from './common.js';
import { TenantShown } from './tenant.js';

export const ClassMetricsSchema = Type.Object({
  label: Type.String({ description: 'Class name' }),
  precision: Type.Number({ minimum: 0, maximum: 1, description: 'Share of predictions of this class that were right' }),
  recall: Type.Number({ minimum: 0, maximum: 1, description: 'Share of test images of this class found' }),
  support: Type.Integer({ minimum: 0, description: 'Test images of this class' }),
});

export const ModelMetricsSchema = Type.Object({
  testLoss: Type.Number({ description: 'Mean cross-entropy on the test split' }),
  testAccuracy: Type.Number({ minimum: 0, maximum: 1 }),
  // Optional: models stored before these were computed have only the two figures above.
  confusionMatrix: Type.Optional(
    Type.Array(Type.Array(Type.Integer({ minimum: 0 }), { minItems: MIN_CLASSES, maxItems: CLASSES_CEILING }), {
      minItems: MIN_CLASSES,
      maxItems: CLASSES_CEILING,
      description: 'Test split counts: row = true class, column = predicted class',
    }),
  ),
  perClass: Type.Optional(
    Type.Array(ClassMetricsSchema, {
      minItems: MIN_CLASSES,
      maxItems: CLASSES_CEILING,
      description: 'Per class, index = class',
    }),
  ),
});

export const ModelSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    tenant: Type.Optional(TenantShown),
    createdAt: IsoDate,
    jobId: Type.String({ description: 'The training job that produced it' }),
    dataset: Type.String(),
    params: TrainingParamsSchema,
    metrics: ModelMetricsSchema,
    backend: Type.String({
      description: 'What trained it: native (the OpenBLAS addon) or a TensorFlow.js backend',
      examples: ['native'],
    }),
    inputShape: Type.Tuple([Type.Literal(IMAGE_SIDE), Type.Literal(IMAGE_SIDE)]),
    labels: ClassLabelsSchema,
    preprocess: PreprocessSchema,
    sizeBytes: Type.Integer({ description: 'model.json plus weights' }),
  },
  { $id: 'Model', title: 'Model' },
);

export type ModelMetadata = Static<typeof ModelSchema>;
export type ModelMetrics = Static<typeof ModelMetricsSchema>;
export type ClassMetrics = Static<typeof ClassMetricsSchema>;
