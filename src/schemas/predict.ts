import { Type } from '@sinclair/typebox';
import { CLASSES_CEILING, INPUT_SIZE, MIN_CLASSES } from './image-shape.js';
import { StringEnum } from './training-params.js';
import { ResolvedModelSchema } from './registry.js';

// Checked in detail by the handler (pixelsFromJson), whose messages name the bad value.
const Pixels = Type.Array(Type.Unknown(), {
  maxItems: INPUT_SIZE,
  description:
    'One 28×28 grayscale image as the model takes it (for an mnist model white on black): 784 numbers 0–255 (row-major), or 28 rows of 28',
});

/**
 * The JSON predict body, built with the service's MAX_BATCH so that validation refuses a
 * longer batch before any instance is looked at (the OpenAPI document shows the default).
 */
export const predictJsonSchema = (maxBatch: number) =>
  Type.Object(
    {
      pixels: Type.Optional(Pixels),
      instances: Type.Optional(
        Type.Array(Pixels, {
          minItems: 1,
          maxItems: maxBatch,
          description: `A batch of images, answered in order; at most ${maxBatch} (MAX_BATCH)`,
        }),
      ),
    },
    {
      additionalProperties: false,
      title: 'PredictJson',
      description: 'Either "pixels" (one image) or "instances" (a batch)',
    },
  );

export const PredictionSchema = Type.Object({
  label: Type.String({ description: 'Most likely class name' }),
  class: Type.Integer({ minimum: 0, maximum: CLASSES_CEILING - 1, description: "Its index in the model's labels" }),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  probabilities: Type.Array(Type.Number(), {
    minItems: MIN_CLASSES,
    maxItems: CLASSES_CEILING,
    description: 'One per class of the model, index = class, summing to 1',
  }),
  input: Type.Optional(
    Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), {
      description: 'With ?debug=1: the 784 pixels the model saw after preprocessing',
    }),
  ),
});

export const PredictResponseSchema = Type.Object(
  { modelId: Type.String(), model: ResolvedModelSchema, predictions: Type.Array(PredictionSchema) },
  { $id: 'PredictResponse', title: 'PredictResponse' },
);

export const PredictQuery = Type.Object(
  {
    model: Type.Optional(
      Type.String({
        maxLength: 200,
        description: "A model id, name or name@alias; default: DEFAULT_MODEL, else the tenant's only model",
      }),
    ),
    debug: Type.Optional(
      StringEnum(['1', '0', 'true', 'false'], {
        description: 'Return the preprocessed 28×28 input of each prediction',
      }),
    ),
  },
  { additionalProperties: false },
);
