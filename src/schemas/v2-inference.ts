import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './training-params.js';

/**
 * The Open Inference Protocol (KServe V2) over REST, with Triton's binary tensor data extension:
 * the JSON shapes of its requests and answers. The handlers check what a schema cannot (shapes
 * against data, byte counts); these bound sizes before any element is read.
 */

/** Datatypes the protocol defines; only some are accepted as this service's input. */
export const V2_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BF16',
  'BYTES',
] as const;
export const V2_INPUT_DATATYPES = ['FP32', 'FP64', 'UINT8', 'BYTES'] as const;
export const V2_OUTPUTS = ['probabilities', 'class', 'label'] as const;
export type V2OutputName = (typeof V2_OUTPUTS)[number];

/** The one error shape the protocol (and TF Serving's REST API) answers with. */
export const V2ErrorSchema = Type.Object(
  { error: Type.String({ description: 'What is wrong, for a person' }) },
  { $id: 'V2Error', title: 'V2Error' },
);
export type V2ErrorBody = Static<typeof V2ErrorSchema>;

const Parameters = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  maxProperties: 32,
  description: 'Key/value parameters (binary_data_size, binary_data, binary_data_output, …)',
});

// Nested or flat tensor contents: checked element by element (count first) by the handler.
const TensorData = Type.Array(Type.Unknown(), { description: 'Tensor contents, row-major, flat or nested' });

export const V2RequestInputSchema = Type.Object({
  name: Type.String({ maxLength: 128 }),
  shape: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 8 }),
  datatype: Type.String({ maxLength: 16 }),
  parameters: Type.Optional(Parameters),
  data: Type.Optional(TensorData),
});

export const V2RequestOutputSchema = Type.Object({
  name: Type.String({ maxLength: 128 }),
  parameters: Type.Optional(Parameters),
});

export const V2InferRequestSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 256 })),
    parameters: Type.Optional(Parameters),
    inputs: Type.Array(V2RequestInputSchema, { minItems: 1, maxItems: 8 }),
    outputs: Type.Optional(Type.Array(V2RequestOutputSchema, { maxItems: 8 })),
  },
  {
    $id: 'V2InferRequest',
    title: 'V2InferRequest',
    description:
      'One input: FP32, FP64 or UINT8 pixels 0–255 shaped [N, 784], [N, 28, 28] or [N, 28, 28, 1], or BYTES [N] of ' +
      'encoded images (base64 in JSON). With the header Inference-Header-Content-Length, this JSON is followed by ' +
      'the inputs whose parameters give binary_data_size, in order.',
  },
);
export type V2InferRequest = Static<typeof V2InferRequestSchema>;
export type V2RequestInput = Static<typeof V2RequestInputSchema>;

export const V2ResponseOutputSchema = Type.Object({
  name: StringEnum([...V2_OUTPUTS]),
  datatype: Type.String(),
  shape: Type.Array(Type.Integer()),
  parameters: Type.Optional(Type.Object({ binary_data_size: Type.Integer({ minimum: 0 }) })),
  data: Type.Optional(Type.Array(Type.Union([Type.Number(), Type.String()]))),
});

export const V2InferResponseSchema = Type.Object(
  {
    model_name: Type.String(),
    model_version: Type.String(),
    id: Type.Optional(Type.String()),
    outputs: Type.Array(V2ResponseOutputSchema),
  },
  {
    $id: 'V2InferResponse',
    title: 'V2InferResponse',
    description:
      'probabilities (FP32 [N, classes]), class (INT64 [N]), label (BYTES [N]). Outputs asked for in binary ' +
      'follow this JSON, which Inference-Header-Content-Length then measures.',
  },
);
export type V2InferResponse = Static<typeof V2InferResponseSchema>;

const TensorMetadata = Type.Object({
  name: Type.String(),
  datatype: Type.String(),
  shape: Type.Array(Type.Integer()),
});

export const V2ModelMetadataSchema = Type.Object(
  {
    name: Type.String(),
    versions: Type.Array(Type.String()),
    platform: Type.String(),
    inputs: Type.Array(TensorMetadata),
    outputs: Type.Array(TensorMetadata),
  },
  { $id: 'V2ModelMetadata', title: 'V2ModelMetadata' },
);

export const V2ServerMetadataSchema = Type.Object({
  name: Type.String(),
  version: Type.String(),
  extensions: Type.Array(Type.String()),
});

export const V2ModelReadySchema = Type.Object({ name: Type.String(), ready: Type.Boolean() });
export const V2LiveSchema = Type.Object({ live: Type.Boolean() });
export const V2ReadySchema = Type.Object({ ready: Type.Boolean() });

const ModelNameParam = Type.String({ maxLength: 200, description: 'A registered model name' });
const ModelVersionParam = Type.String({ maxLength: 16, description: 'A version number' });
export const V2ModelParams = Type.Object({ name: ModelNameParam });
export const V2VersionParams = Type.Object({ name: ModelNameParam, version: ModelVersionParam });
