import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors.js';
import { preprocessImages } from '../../inference/preprocess.js';
import { chooseOutputs, encodeOutputs, readV2Input } from '../../inference/v2-tensors.js';
import { INPUT_SIZE } from '../../schemas/image-shape.js';
import {
  V2InferRequestSchema,
  V2InferResponseSchema,
  V2LiveSchema,
  V2ModelMetadataSchema,
  V2ModelParams,
  V2ModelReadySchema,
  V2ReadySchema,
  V2ServerMetadataSchema,
  V2VersionParams,
} from '../../schemas/v2-inference.js';
import { SERVICE_VERSION } from '../../version.js';
import { chooseModel } from '../model-refs.js';
import { holdPredictBodies, pixelLimitsOf } from '../predict-bodies.js';
import { rawBodyParser } from '../raw-body.js';
import { protocolErrors, ref } from '../route-schemas.js';
import { HEADER_LENGTH, readV2Body } from '../v2-body.js';
import { predictJsonLimit } from './predict.js';

/** What `/v2` says the server is: Triton's binary tensor data extension is spoken. */
export const V2_EXTENSIONS = ['binary_tensor_data'];
const PLATFORM = 'tensorflowjs_layers';
/**
 * Bodies: JSON, JSON with binary tensors after it (tritonclient sends no content type at all),
 * and JSON under curl -d's default form type, as Triton reads it.
 */
const ACCEPTED = new Set(['application/json', 'application/octet-stream', 'application/x-www-form-urlencoded']);
/** A version in a path: a positive whole number within the registry's range. */
const VERSION = /^[1-9]\d{0,9}$/;

const versionOf = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  if (!VERSION.test(text) || Number(text) > 2_147_483_647)
    throw new BadRequestError(`model version "${text.slice(0, 16)}" is not a version number`, 'INVALID_VERSION');
  return Number(text);
};

const v2: FastifyPluginAsyncTypebox = async (app) => {
  const { config, predictor, registry, models, storage } = app.deps;
  const jsonLimit = predictJsonLimit(config.MAX_BATCH, config.MAX_UPLOAD_BYTES);
  const pixelLimits = pixelLimitsOf(config);
  // Every body is read as bytes and split by readV2Body; MAX_UPLOAD_BYTES bounds the whole.
  app.removeContentTypeParser('application/json');
  const asBytes = rawBodyParser(config.MAX_UPLOAD_BYTES);
  app.addContentTypeParser([...ACCEPTED], asBytes);
  // No content type at all (what tritonclient.http sends) reaches the catch-all; any other
  // type was refused by the hook below before a byte was read.
  app.addContentTypeParser('*', asBytes);
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD') return payload; // no body to refuse
    const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== undefined && !ACCEPTED.has(type))
      throw new UnsupportedMediaTypeError(
        `content type "${type.slice(0, 60)}" is not accepted: send application/json, or application/octet-stream with ${HEADER_LENGTH}`,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    // tritonclient's request_compression_algorithm: say so, rather than fail on the bytes' lengths.
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity')
      throw new UnsupportedMediaTypeError(
        `Content-Encoding "${encoding.slice(0, 40)}" is not accepted: send the body uncompressed`,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    // A JSON-only body is refused from its declared length before a byte is read.
    const declared = Number(request.headers['content-length']);
    if (request.headers[HEADER_LENGTH] === undefined && declared > jsonLimit)
      throw new PayloadTooLargeError(
        `the JSON body declares ${declared} bytes, more than the limit of ${jsonLimit}; send tensors in binary (binary_data_size)`,
        'PAYLOAD_TOO_LARGE',
      );
    return payload;
  });
  holdPredictBodies(app);

  const config_ = { protocolErrors: true };

  app.get(
    '/v2/health/live',
    { config: config_, schema: { tags: ['v2'], summary: 'V2 server live', response: { 200: V2LiveSchema } } },
    async () => ({ live: true }),
  );
  app.get(
    '/v2/health/ready',
    {
      config: config_,
      schema: {
        tags: ['v2'],
        summary: 'V2 server ready: the model storage answers (Redis is not needed to serve models by id)',
        response: { 200: V2ReadySchema, 503: V2ReadySchema },
      },
    },
    async (_request, reply) => {
      const ok = await storage.check(1000).then(
        () => true,
        () => false,
      );
      return reply.status(ok ? 200 : 503).send({ ready: ok });
    },
  );
  for (const url of ['/v2', '/v2/'])
    app.get(
      url,
      {
        config: config_,
        schema: { tags: ['v2'], summary: 'V2 server metadata', response: { 200: V2ServerMetadataSchema } },
      },
      async () => ({ name: 'trainyard', version: SERVICE_VERSION, extensions: V2_EXTENSIONS }),
    );

  /** The registered model a V2 path names, with its stored metadata. */
  async function modelOf(request: FastifyRequest, name: string, version?: string) {
    const chosen = await chooseModel(request, app.deps, name, versionOf(version));
    const meta = await models.forTenant(chosen.tenant).get(chosen.id);
    return { chosen, meta };
  }

  async function metadata(request: FastifyRequest, name: string, version?: string) {
    const { chosen, meta } = await modelOf(request, name, version);
    const registered = chosen.model.name ?? name;
    const versions = chosen.model.name
      ? (await registry.versions(chosen.tenant, chosen.model.name, 100)).map((v) => String(v.version))
      : [];
    const classes = meta.labels.length;
    return {
      name: registered,
      versions,
      platform: PLATFORM,
      inputs: [
        // One input: a generic client (perf_analyzer, a UI) fills in every input listed. The
        // same single input also takes FP64, UINT8 and 28×28 shapes, or BYTES of encoded images.
        { name: 'input', datatype: 'FP32', shape: [-1, INPUT_SIZE] },
      ],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, classes] },
        { name: 'class', datatype: 'INT64', shape: [-1] },
        { name: 'label', datatype: 'BYTES', shape: [-1] },
      ],
    };
  }

  async function ready(request: FastifyRequest, name: string, version?: string) {
    const { chosen } = await modelOf(request, name, version);
    return { name: chosen.model.name ?? name, ready: true };
  }

  async function infer(request: FastifyRequest, name: string, version?: string) {
    // Chosen before the body is looked at: an unknown model costs no decoding. (Its stored
    // metadata is not read: the predictor's cache holds the model, a read would cost each request.)
    const chosen = await chooseModel(request, app.deps, name, versionOf(version));
    const { request: body, binaries } = readV2Body(request, jsonLimit);
    if (body.inputs.length !== 1)
      throw new BadRequestError(
        `${body.inputs.length} inputs; this model takes one (pixels or images)`,
        'INVALID_TENSOR',
      );
    const choices = chooseOutputs(body.outputs, body.parameters);
    const tensor = readV2Input(body.inputs[0]!, binaries[0], config.MAX_BATCH);
    const rows =
      tensor.kind === 'pixels'
        ? tensor.rows
        : await preprocessImages(
            tensor.images,
            pixelLimits,
            (i) => `input image ${i}`,
            // Images are prepared by the model's own rule, as its training data was.
            (await predictor.describe(chosen.id, chosen.tenant)).preprocess,
          );
    const { predictions } = await predictor.predict(chosen.id, rows, chosen.tenant);
    const { outputs, binary } = encodeOutputs(predictions, choices);
    const answer = {
      model_name: chosen.model.name ?? chosen.id,
      model_version: chosen.model.version === null ? '' : String(chosen.model.version),
      ...(body.id !== undefined ? { id: body.id } : {}),
      outputs,
    };
    return { answer, binary };
  }

  const infoSchema = (summary: string, response: object) => ({
    tags: ['v2'],
    summary,
    response: { 200: response, ...protocolErrors(400, 404, 409) },
  });

  app.get(
    '/v2/models/:name',
    {
      config: config_,
      schema: { ...infoSchema('V2 model metadata', ref(V2ModelMetadataSchema)), params: V2ModelParams },
    },
    async (request) => metadata(request, request.params.name),
  );
  app.get(
    '/v2/models/:name/versions/:version',
    {
      config: config_,
      schema: { ...infoSchema('V2 model metadata of a version', ref(V2ModelMetadataSchema)), params: V2VersionParams },
    },
    async (request) => metadata(request, request.params.name, request.params.version),
  );
  app.get(
    '/v2/models/:name/ready',
    { config: config_, schema: { ...infoSchema('V2 model ready', V2ModelReadySchema), params: V2ModelParams } },
    async (request) => ready(request, request.params.name),
  );
  app.get(
    '/v2/models/:name/versions/:version/ready',
    {
      config: config_,
      schema: { ...infoSchema('V2 model version ready', V2ModelReadySchema), params: V2VersionParams },
    },
    async (request) => ready(request, request.params.name, request.params.version),
  );

  const { $id: _, ...inlineRequest } = V2InferRequestSchema;
  const inferSchema = {
    tags: ['v2'],
    consumes: ['application/json', 'application/octet-stream'],
    body: {
      content: {
        'application/json': { schema: Type.Unsafe({ ...inlineRequest, 'x-binary': true }) },
        'application/octet-stream': {
          schema: Type.Unsafe({
            type: 'string',
            format: 'binary',
            'x-binary': true,
            description: `The request's JSON (${HEADER_LENGTH} bytes of it), then each binary input's bytes in order`,
          }),
        },
      },
    },
    response: { 200: ref(V2InferResponseSchema), ...protocolErrors(400, 404, 409, 413, 415) },
  };
  const send = async (reply: import('fastify').FastifyReply, result: Awaited<ReturnType<typeof infer>>) => {
    if (result.binary.length === 0) return result.answer;
    // Triton's binary answer: the JSON, then each binary output, the JSON's length in a header.
    const json = Buffer.from(JSON.stringify(result.answer));
    return reply
      .header(HEADER_LENGTH, String(json.length))
      .type('application/octet-stream')
      .send(Buffer.concat([json, ...result.binary]));
  };
  app.post(
    '/v2/models/:name/infer',
    {
      config: config_,
      schema: { ...inferSchema, summary: 'V2 inference (the production alias, else latest)', params: V2ModelParams },
    },
    async (request, reply) => send(reply, await infer(request, request.params.name)),
  );
  app.post(
    '/v2/models/:name/versions/:version/infer',
    {
      config: config_,
      schema: { ...inferSchema, summary: 'V2 inference with one version', params: V2VersionParams },
    },
    async (request, reply) => send(reply, await infer(request, request.params.name, request.params.version)),
  );
};

export default v2;
