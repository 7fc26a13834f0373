import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors.js';
import { preprocessImages } from '../../inference/preprocess.js';
import { readTfRequest } from '../../inference/tf-instances.js';
import { INPUT_SIZE } from '../../schemas/image-shape.js';
import {
  TF_SIGNATURE,
  TfLabelParams,
  TfModelMetadataSchema,
  TfModelParams,
  TfPredictRequestSchema,
  TfPredictResponseSchema,
  TfVersionParams,
} from '../../schemas/tf-serving.js';
import { parseJson } from '../json-body.js';
import { chooseModel } from '../model-refs.js';
import { holdPredictBodies, pixelLimitsOf } from '../predict-bodies.js';
import { protocolErrors } from '../route-schemas.js';
import { predictJsonLimit } from './predict.js';

/**
 * TF Serving's `:predict` verb follows the name in the same path segment. A `:` begins a param
 * in Fastify's paths and `::` is a literal one; the param before it needs a pattern that stops at
 * the colon, or it would swallow the verb.
 */
const SEGMENT = '(^[^/:]+)';
export const TF_PREDICT_ROUTES = {
  model: `/v1/models/:id${SEGMENT}::predict`,
  version: '/v1/models/:id/versions/:version(^\\d+)::predict',
  label: `/v1/models/:id/labels/:alias${SEGMENT}::predict`,
} as const;

/** The types TF Serving's JSON arrives under: its own, and curl -d's default. */
const TF_JSON_TYPES = new Set(['application/json', 'application/x-www-form-urlencoded']);

const dim = (size: number) => ({ size: String(size), name: '' });
const tensor = (dtype: string, dims: number[], name: string) => ({
  dtype,
  tensor_shape: { dim: dims.map(dim), unknown_rank: false },
  name,
});

const tfServing: FastifyPluginAsyncTypebox = async (app) => {
  const { config, predictor, models } = app.deps;
  const jsonLimit = predictJsonLimit(config.MAX_BATCH, config.MAX_UPLOAD_BYTES);
  const pixelLimits = pixelLimitsOf(config);
  // TF Serving speaks JSON only: its own limit, as /v1's JSON predictions, refused from Content-Length.
  // Like TF Serving it reads JSON under curl -d's form type and with no type at all (requests' data=).
  app.removeContentTypeParser('application/json');
  const asJson = { parseAs: 'string' as const, bodyLimit: jsonLimit };
  app.addContentTypeParser([...TF_JSON_TYPES], asJson, parseJson);
  app.addContentTypeParser('*', asJson, parseJson); // reached with no content type: others are refused below
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD') return payload;
    const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== undefined && !TF_JSON_TYPES.has(type))
      throw new UnsupportedMediaTypeError(
        `content type "${type.slice(0, 60)}" is not accepted: send the request as application/json`,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    return payload;
  });
  app.setErrorHandler((err: Error & { code?: string }) => {
    if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
    throw new PayloadTooLargeError(
      `the JSON body is larger than the limit of ${jsonLimit.toLocaleString('en-US')} bytes for predictions (MAX_BATCH images); send large images to /v1/predict`,
      'PAYLOAD_TOO_LARGE',
    );
  });
  holdPredictBodies(app);
  const protocol = { protocolErrors: true };

  async function predict(request: FastifyRequest, segment: string, version?: number) {
    const chosen = await chooseModel(request, app.deps, segment, version);
    const body = request.body as { signature_name?: string; instances?: unknown; inputs?: unknown };
    const signature = body.signature_name ?? TF_SIGNATURE;
    if (signature !== TF_SIGNATURE && signature !== '')
      throw new BadRequestError(
        `serving signature name "${signature.slice(0, 64)}" not found; this model has "${TF_SIGNATURE}"`,
        'UNKNOWN_SIGNATURE',
      );
    const { items, columnar } = readTfRequest(body, config.MAX_BATCH);
    const images = items.flatMap((item) => ('image' in item ? [item.image] : []));
    // Images are prepared by the model's own rule, as its training data was.
    const rule = images.length ? (await predictor.describe(chosen.id, chosen.tenant)).preprocess : undefined;
    const decoded = images.length ? await preprocessImages(images, pixelLimits, (i) => `image ${i}`, rule) : [];
    let next = 0;
    const rows = items.map((item) => ('pixels' in item ? item.pixels : decoded[next++]!));
    const { predictions } = await predictor.predict(chosen.id, rows, chosen.tenant);
    const probabilities = predictions.map((p) => p.probabilities);
    return columnar ? { outputs: probabilities } : { predictions: probabilities };
  }

  const predictSchema = (summary: string) => ({
    tags: ['tfserving'],
    summary,
    body: TfPredictRequestSchema,
    response: { 200: TfPredictResponseSchema, ...protocolErrors(400, 404, 409, 413, 415) },
  });
  app.post(
    TF_PREDICT_ROUTES.model,
    {
      config: protocol,
      schema: { ...predictSchema('TF Serving predict (the production alias, else latest)'), params: TfModelParams },
    },
    async (request) => predict(request, request.params.id),
  );
  app.post(
    TF_PREDICT_ROUTES.version,
    { config: protocol, schema: { ...predictSchema('TF Serving predict with one version'), params: TfVersionParams } },
    async (request) => predict(request, request.params.id, request.params.version),
  );
  app.post(
    TF_PREDICT_ROUTES.label,
    { config: protocol, schema: { ...predictSchema('TF Serving predict with an alias'), params: TfLabelParams } },
    async (request) => predict(request, `${request.params.id}@${request.params.alias}`),
  );

  async function metadata(request: FastifyRequest, segment: string, version?: number) {
    const chosen = await chooseModel(request, app.deps, segment, version);
    const meta = await models.forTenant(chosen.tenant).get(chosen.id);
    return {
      model_spec: {
        name: chosen.model.name ?? chosen.id,
        signature_name: '',
        version: chosen.model.version === null ? '' : String(chosen.model.version),
      },
      metadata: {
        signature_def: {
          signature_def: {
            [TF_SIGNATURE]: {
              inputs: { input: tensor('DT_FLOAT', [-1, INPUT_SIZE], 'serving_default_input:0') },
              outputs: {
                probabilities: tensor('DT_FLOAT', [-1, meta.labels.length], 'StatefulPartitionedCall:0'),
              },
              method_name: 'tensorflow/serving/predict',
            },
          },
        },
      },
    };
  }
  const metadataSchema = {
    tags: ['tfserving'],
    response: { 200: TfModelMetadataSchema, ...protocolErrors(400, 404) },
  };
  app.get(
    '/v1/models/:id/metadata',
    {
      config: protocol,
      schema: { ...metadataSchema, summary: 'TF Serving model metadata (signature_def)', params: TfModelParams },
    },
    async (request) => metadata(request, request.params.id),
  );
  app.get(
    '/v1/models/:id/versions/:version/metadata',
    {
      config: protocol,
      schema: { ...metadataSchema, summary: 'TF Serving metadata of one version', params: TfVersionParams },
    },
    async (request) => metadata(request, request.params.id, request.params.version),
  );
};

export default tfServing;
