import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import { BadRequestError, PayloadTooLargeError } from '../../errors.js';
import { pixelsFromJson, preprocessImages } from '../../inference/preprocess.js';
import { IdParams, fieldError } from '../../schemas/common.js';
import { VersionParams } from '../../schemas/registry.js';
import { IMAGE_TYPES } from '../../schemas/image-types.js';
import { predictJsonSchema, PredictQuery, PredictResponseSchema } from '../../schemas/predict.js';
import { holdPredictBodies, pixelLimitsOf } from '../predict-bodies.js';
import { rawBodyParser } from '../raw-body.js';
import { parseJson } from '../json-body.js';
import { binary, errors, ref } from '../route-schemas.js';
import { chooseModel } from '../model-refs.js';
import type { Preprocess } from '../../schemas/classes.js';

type PredictJson = { pixels?: unknown; instances?: unknown[] };

/**
 * Bytes a JSON pixel value may take: "255," is 4, ", " separators or one decimal make 6–8.
 * With the default MAX_BATCH (256) a full batch may be 1.67 MB, far cheaper to parse than a body
 * of MAX_UPLOAD_BYTES (10 MiB) before it is refused (docs/performance.md).
 */
const JSON_BYTES_PER_VALUE = 8;
const JSON_SLACK_BYTES = 64 * 1024;

/** The JSON body limit of the predict routes: a full batch of 784-value images, never more than MAX_UPLOAD_BYTES. */
export function predictJsonLimit(maxBatch: number, maxUploadBytes: number): number {
  return Math.min(maxUploadBytes, maxBatch * 784 * JSON_BYTES_PER_VALUE + JSON_SLACK_BYTES);
}

const bodySchema = (maxBatch: number) => ({
  content: {
    'application/json': { schema: predictJsonSchema(maxBatch) },
    'multipart/form-data': {
      schema: Type.Unsafe({
        type: 'object',
        'x-binary': true,
        properties: { image: { type: 'array', items: { type: 'string', format: 'binary' } } },
        description: 'One or more files in fields named "image": a batch, answered in order',
      }),
    },
    ...Object.fromEntries(IMAGE_TYPES.map((t) => [t, { schema: binary('One image of any size') }])),
  },
});

const count = (n: number) => n.toLocaleString('en-US');

const predict: FastifyPluginAsyncTypebox = async (app) => {
  const { predictor, config } = app.deps;
  // Raw image bodies are parsed only for these routes; elsewhere they are a 415.
  app.addContentTypeParser([...IMAGE_TYPES], rawBodyParser(config.MAX_UPLOAD_BYTES));
  // JSON bodies get a limit of their own, sized from MAX_BATCH, refused from Content-Length before a byte is parsed.
  const jsonLimit = predictJsonLimit(config.MAX_BATCH, config.MAX_UPLOAD_BYTES);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: jsonLimit }, parseJson);
  app.setErrorHandler((err: FastifyError, request) => {
    const isJson = String(request.headers['content-type'] ?? '').startsWith('application/json');
    if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE' || !isJson) throw err; // the app's error handler answers
    const why =
      jsonLimit < config.MAX_UPLOAD_BYTES
        ? `MAX_BATCH (${config.MAX_BATCH}) images of 784 values at ${JSON_BYTES_PER_VALUE} bytes each, plus ${count(JSON_SLACK_BYTES)}`
        : 'MAX_UPLOAD_BYTES';
    throw new PayloadTooLargeError(
      `the JSON body is larger than the limit of ${count(jsonLimit)} bytes for predictions (${why}); send large batches as images`,
      'PAYLOAD_TOO_LARGE',
    );
  });
  holdPredictBodies(app);
  const pixelLimits = pixelLimitsOf(config);

  /** Turns any accepted body into 784-byte model inputs by the model's rule, at most MAX_BATCH of them. */
  async function readInputs(request: FastifyRequest, rule: Preprocess): Promise<Uint8Array[]> {
    const tooMany = (n: number | string) =>
      new BadRequestError(`${n} inputs in one request; at most ${config.MAX_BATCH} (MAX_BATCH)`, 'BATCH_TOO_LARGE');
    if (request.isMultipart()) {
      const images: Buffer[] = [];
      let total = 0;
      // Loose part limits: a surplus part is answered below with a 400 that names it.
      const limits = { files: config.MAX_BATCH + 1, fileSize: config.MAX_UPLOAD_BYTES, fields: 8 };
      for await (const part of request.parts({ limits })) {
        if (part.type !== 'file' || part.fieldname !== 'image') {
          throw new BadRequestError(
            `unexpected field "${part.fieldname}"; send files in fields named "image"`,
            'UNEXPECTED_FIELD',
            [fieldError(part.fieldname, 'is not expected: send files in fields named "image"')],
          );
        }
        if (images.length === config.MAX_BATCH) throw tooMany(`more than ${config.MAX_BATCH}`);
        const buf = await part.toBuffer();
        total += buf.length;
        if (total > config.MAX_UPLOAD_BYTES) {
          throw new PayloadTooLargeError(
            `images add up to more than ${config.MAX_UPLOAD_BYTES} bytes (MAX_UPLOAD_BYTES)`,
            'PAYLOAD_TOO_LARGE',
          );
        }
        images.push(buf);
      }
      if (images.length === 0) {
        throw new BadRequestError('no file in a field named "image"', 'MISSING_FIELD', [
          fieldError('image', 'is required'),
        ]);
      }
      return preprocessImages(images, pixelLimits, (i) => `image[${i}]`, rule);
    }
    if (Buffer.isBuffer(request.body)) {
      if (request.body.length === 0) throw new BadRequestError('the request body is empty', 'EMPTY_BODY');
      return preprocessImages([request.body], pixelLimits, undefined, rule);
    }
    const body = request.body as PredictJson | undefined;
    if (body?.pixels !== undefined && body.instances !== undefined) {
      throw new BadRequestError(
        'send either "pixels" (one image) or "instances" (a batch), not both',
        'VALIDATION_ERROR',
      );
    }
    if (body?.pixels !== undefined) return [pixelsFromJson(body.pixels)];
    const instances = body?.instances ?? [];
    if (instances.length === 0)
      throw new BadRequestError('send "pixels" or a non-empty "instances" array', 'MISSING_FIELD');
    if (instances.length > config.MAX_BATCH) throw tooMany(instances.length);
    return instances.map((pixels, i) => pixelsFromJson(pixels, i));
  }

  async function answer(
    request: FastifyRequest,
    segment: string | undefined,
    debug: boolean | undefined,
    version?: number,
  ) {
    // Chosen before any image is decoded: a request for a model that does not exist costs no decoding.
    const chosen = await chooseModel(request, app.deps, segment, version);
    // Images are prepared as the model's training data was: its own rule, not a default.
    const { preprocess } = await predictor.describe(chosen.id, chosen.tenant);
    const inputs = await readInputs(request, preprocess);
    const { predictions } = await predictor.predict(chosen.id, inputs, chosen.tenant);
    const result = { modelId: chosen.id, model: chosen.model, predictions };
    if (!debug) return result;
    return { ...result, predictions: result.predictions.map((p, i) => ({ ...p, input: Array.from(inputs[i]!) })) };
  }

  const common = {
    tags: ['predict'],
    consumes: ['application/json', 'multipart/form-data', ...IMAGE_TYPES],
    body: bodySchema(config.MAX_BATCH),
    response: { 200: ref(PredictResponseSchema), ...errors(400, 404, 409, 413, 415) },
  };

  app.post(
    '/v1/predict',
    {
      schema: {
        ...common,
        summary: "Predict with ?model=, else DEFAULT_MODEL, else the tenant's only model (409 when several)",
        description:
          'Send one image as the raw body (PNG, JPEG, WebP, GIF, BMP), a batch as multipart files named "image", or ' +
          "JSON pixels. Images are converted by the model's own rule (its `preprocess`): `mnist` (invert a light " +
          'background, crop, fit 20×20, centre by mass; a 28×28 white-on-black image is taken as is) or `fit` ' +
          '(letterboxed to 28×28). ' +
          'The answer names the model id, and the registered name, version and alias it resolved.',
        querystring: PredictQuery,
      },
    },
    async (request) => answer(request, request.query.model, isOn(request.query.debug)),
  );

  app.post(
    '/v1/models/:id/predict',
    {
      schema: {
        ...common,
        summary: 'Predict with a model id, a name (its production alias, else latest) or name@alias',
        params: IdParams,
        querystring: Type.Omit(PredictQuery, ['model']),
      },
    },
    async (request) => answer(request, request.params.id, isOn(request.query.debug)),
  );

  app.post(
    '/v1/models/:id/versions/:version/predict',
    {
      schema: {
        ...common,
        summary: 'Predict with one version of a registered model',
        params: VersionParams,
        querystring: Type.Omit(PredictQuery, ['model']),
      },
    },
    async (request) => answer(request, request.params.id, isOn(request.query.debug), request.params.version),
  );
};

const isOn = (flag: string | undefined) => flag === '1' || flag === 'true';

export default predict;
