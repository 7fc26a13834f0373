import { Type } from '@sinclair/typebox';

/**
 * TensorFlow Serving's REST API: the predict request and answer, model status and metadata.
 * The one signature, `serving_default`, takes images and answers class probabilities.
 */
export const TF_SIGNATURE = 'serving_default';

export const TfPredictRequestSchema = Type.Object(
  {
    signature_name: Type.Optional(Type.String({ maxLength: 128, default: TF_SIGNATURE })),
    instances: Type.Optional(
      Type.Unknown({
        description: 'Row format: a list of images, each 784 pixels 0–255 (flat, 28×28, 28×28×1) or {"b64": "…"}',
      }),
    ),
    inputs: Type.Optional(
      Type.Unknown({ description: 'Columnar format: the batch as one tensor, or {"input": batch}' }),
    ),
  },
  { additionalProperties: false, title: 'TfPredictRequest' },
);

const Probabilities = Type.Array(Type.Array(Type.Number()), {
  description: 'One row of class probabilities per image',
});
export const TfPredictResponseSchema = Type.Object(
  { predictions: Type.Optional(Probabilities), outputs: Type.Optional(Probabilities) },
  { title: 'TfPredictResponse', description: '"predictions" answers "instances"; "outputs" answers "inputs"' },
);

export const TfVersionStatusSchema = Type.Object({
  version: Type.String(),
  state: Type.String({ description: 'AVAILABLE: every registered version is served' }),
  status: Type.Object({ error_code: Type.String(), error_message: Type.String() }),
});
export const TfModelStatusSchema = Type.Object(
  { model_version_status: Type.Array(TfVersionStatusSchema) },
  { title: 'TfModelStatus' },
);

const TensorInfo = Type.Object({
  dtype: Type.String(),
  tensor_shape: Type.Object({
    dim: Type.Array(Type.Object({ size: Type.String(), name: Type.String() })),
    unknown_rank: Type.Boolean(),
  }),
  name: Type.String(),
});
export const TfModelMetadataSchema = Type.Object(
  {
    model_spec: Type.Object({ name: Type.String(), signature_name: Type.String(), version: Type.String() }),
    metadata: Type.Object({
      signature_def: Type.Object({
        signature_def: Type.Record(
          Type.String(),
          Type.Object({
            inputs: Type.Record(Type.String(), TensorInfo),
            outputs: Type.Record(Type.String(), TensorInfo),
            method_name: Type.String(),
          }),
        ),
      }),
    }),
  },
  { title: 'TfModelMetadata' },
);

const NameParam = Type.String({ maxLength: 200, description: 'A registered model name (or a model id)' });
export const TfModelParams = Type.Object({ id: NameParam });
export const TfVersionParams = Type.Object({
  id: NameParam,
  version: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'A version number' }),
});
export const TfLabelParams = Type.Object({
  id: NameParam,
  alias: Type.String({ maxLength: 200, description: 'An alias' }),
});
