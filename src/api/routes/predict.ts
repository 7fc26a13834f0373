import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, PayloadTooLargeError } from '../../errors.js';
import { pixelsFromJson, preprocessImage } from '../../inference/preprocess.js';
import { IdParams } from '../../schemas/common.js';
import { PredictJsonSchema, PredictQuery, PredictResponseSchema } from '../../schemas/predict.js';
import { binary, errors, ref } from '../schemas.js';

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp'];

type PredictJson = { pixels?: unknown; instances?: unknown[] };

const bodySchema = {
  content: {
    'application/json': { schema: PredictJsonSchema },
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
};

const predict: FastifyPluginAsyncTypebox = async (app) => {
  const { predictor, config } = app.deps;
  // Raw image bodies are parsed only for these routes; elsewhere they are a 415.
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  /** Turns any accepted body into 784-byte model inputs, at most MAX_BATCH of them. */
  async function readInputs(request: FastifyRequest): Promise<Uint8Array[]> {
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
      if (images.length === 0) throw new BadRequestError('no file in a field named "image"', 'MISSING_FIELD');
      return Promise.all(images.map((img, i) => preprocessImage(img).catch(prefix(`image[${i}]`))));
    }
    if (Buffer.isBuffer(request.body)) {
      if (request.body.length === 0) throw new BadRequestError('the request body is empty', 'EMPTY_BODY');
      return [await preprocessImage(request.body)];
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

  async function answer(request: FastifyRequest, modelId: string | undefined, debug: boolean | undefined) {
    const inputs = await readInputs(request);
    const result = await predictor.predict(modelId, inputs);
    if (!debug) return result;
    return { ...result, predictions: result.predictions.map((p, i) => ({ ...p, input: Array.from(inputs[i]!) })) };
  }

  const common = {
    tags: ['predict'],
    consumes: ['application/json', 'multipart/form-data', ...IMAGE_TYPES],
    body: bodySchema,
    response: { 200: ref(PredictResponseSchema), ...errors(400, 404, 409, 413, 415) },
  };

  app.post(
    '/v1/predict',
    {
      schema: {
        ...common,
        summary: 'Predict with the newest model (or ?model=id)',
        description:
          'Send one image as the raw body (PNG, JPEG, WebP, GIF, BMP), a batch as multipart files named "image", or ' +
          'JSON pixels. Images that are not already 28×28 white-on-black are converted the way MNIST was made.',
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
        summary: 'Predict with this model',
        params: IdParams,
        querystring: Type.Omit(PredictQuery, ['model']),
      },
    },
    async (request) => answer(request, request.params.id, isOn(request.query.debug)),
  );
};

const isOn = (flag: string | undefined) => flag === '1' || flag === 'true';

/** Says which image of a batch was bad. */
const prefix = (where: string) => (err: unknown) => {
  if (err instanceof Error) err.message = `${where}: ${err.message}`;
  throw err;
};

export default predict;
