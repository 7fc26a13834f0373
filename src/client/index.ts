import createFetchClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './api-types.js';
import { ApiError, ConnectionError, errorOf } from './errors.js';
import { followJob, type FollowOptions, type JobEvent } from './follow.js';
import { multipartBody, type UploadPart } from './multipart.js';

export { ApiError, ConnectionError } from './errors.js';
export type { FollowOptions, JobEvent } from './follow.js';
export type { UploadPart } from './multipart.js';
export type { components, paths } from './api-types.js';

export type Schemas = components['schemas'];
export type TrainingJob = Schemas['TrainingJob'];
export type CreateTrainingJob = NonNullable<
  paths['/v1/training-jobs']['post']['requestBody']
>['content']['application/json'];
export type Model = Schemas['Model'];
export type Dataset = Schemas['Dataset'];
export type RegisteredModel = Schemas['RegisteredModel'];
export type ModelVersion = Schemas['ModelVersion'];
export type JobState = TrainingJob['state'];
export type PredictResponse = paths['/v1/predict']['post']['responses'][200]['content']['application/json'];

export interface ClientOptions {
  /** The service's address, such as `http://localhost:3000`. */
  baseUrl: string;
  /** An API key; without one, requests go unauthenticated (a service running open). */
  apiKey?: string;
  fetch?: typeof fetch;
}

export interface PredictImage {
  /** A file name, shown back in errors. */
  name: string;
  data: Uint8Array;
  /** The image's media type; by default the service sniffs it. */
  type?: string;
}

/**
 * A typed client of the Trainyard API: `http` is openapi-fetch over the generated types (every
 * route), the methods below are the calls a script makes most, throwing ApiError with the
 * service's status, code and message, or ConnectionError when there is no answer.
 */
export function createClient(options: ClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const rawFetch = options.fetch ?? globalThis.fetch;
  // Every request through here: a network failure becomes a ConnectionError naming the address.
  const send: typeof fetch = async (input, init) => {
    try {
      return await rawFetch(input, init);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ConnectionError(baseUrl, err);
    }
  };
  const http: Client<paths> = createFetchClient<paths>({ baseUrl, headers, fetch: send });

  /** The data of a 2xx answer; anything else as an ApiError. */
  async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    const { data, error, response } = await call;
    if (!response.ok) throw await errorOf(response, error);
    return data as T;
  }

  /** POSTs a streamed multipart body (fetch needs `duplex` for a stream); a non-2xx is an ApiError. */
  async function postMultipart<T>(url: string, body: ReturnType<typeof multipartBody>): Promise<T> {
    const response = await send(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': body.contentType, 'content-length': String(body.length) },
      body: body.stream,
      duplex: 'half',
    } as RequestInit);
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  const getJob = (id: string) => unwrap(http.GET('/v1/training-jobs/{id}', { params: { path: { id } } }));

  return {
    http,
    baseUrl,
    whoami: () => unwrap(http.GET('/v1/whoami')),
    submitJob: (job: CreateTrainingJob, opts: { idempotencyKey?: string } = {}) =>
      unwrap(
        http.POST('/v1/training-jobs', {
          body: job,
          ...(opts.idempotencyKey ? { headers: { 'idempotency-key': opts.idempotencyKey } } : {}),
        }),
      ),
    getJob,
    listJobs: async (query: { state?: JobState; limit?: number } = {}) =>
      (await unwrap(http.GET('/v1/training-jobs', { params: { query } }))).items,
    cancelJob: (id: string) => unwrap(http.POST('/v1/training-jobs/{id}/cancel', { params: { path: { id } } })),
    listModels: async () => (await unwrap(http.GET('/v1/models'))).items,
    /** A stored model by id, or a registered model by name (with `latestVersion` and `aliases`). */
    getModel: (id: string) => unwrap(http.GET('/v1/models/{id}', { params: { path: { id } } })),
    /** The registered models (names with their aliases) of the caller's tenant. */
    listRegistered: async () =>
      ((await unwrap(http.GET('/v1/models'))) as { registered?: RegisteredModel[] }).registered ?? [],
    listVersions: async (name: string) =>
      (
        (await unwrap(http.GET('/v1/models/{id}/versions', { params: { path: { id: name } } }))) as {
          items: ModelVersion[];
        }
      ).items,
    /** Points an alias at a version; with `expectedVersion`, only if the alias still holds that one (else a 409). */
    moveAlias: (name: string, alias: string, version: number, expectedVersion?: number) =>
      unwrap(
        http.PUT('/v1/models/{id}/aliases/{alias}', {
          params: { path: { id: name, alias } },
          body: { version, ...(expectedVersion === undefined ? {} : { expectedVersion }) },
        }),
      ),
    listDatasets: async () => (await unwrap(http.GET('/v1/datasets'))).items,

    /**
     * Uploads a dataset's files (multipart, streamed): `onProgress` hears the bytes sent as the
     * connection takes them.
     */
    async uploadDataset(
      name: string,
      files: UploadPart[],
      onProgress?: (sent: number, total: number) => void,
    ): Promise<Dataset> {
      const parts = [{ field: 'name', data: new TextEncoder().encode(name) }, ...files];
      return postMultipart<Dataset>(`${baseUrl}/v1/datasets`, multipartBody(parts, onProgress));
    },

    /** Predicts one or more images (a multipart batch) with a model id, or the service's default model. */
    async predict(images: PredictImage[], opts: { model?: string } = {}): Promise<PredictResponse> {
      const parts = images.map((image) => ({
        field: 'image',
        filename: image.name,
        type: image.type ?? 'application/octet-stream',
        data: image.data,
      }));
      const url = opts.model
        ? `${baseUrl}/v1/models/${encodeURIComponent(opts.model)}/predict`
        : `${baseUrl}/v1/predict`;
      return postMultipart<PredictResponse>(url, multipartBody(parts));
    },

    /**
     * Follows a job's event stream until it ends, reconnecting with Last-Event-ID after a drop;
     * answers the finished job.
     */
    followJob: (id: string, onEvent: (event: JobEvent) => void, opts: FollowOptions = {}) =>
      followJob({ baseUrl, headers, fetch: send, getJob }, id, onEvent, opts),
  };
}

export type TrainyardClient = ReturnType<typeof createClient>;
export const isApiError = (err: unknown): err is ApiError => err instanceof ApiError;
