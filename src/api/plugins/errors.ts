import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ReplyError } from 'ioredis';
// ioredis's index does not re-export this class; its errors module declares it.
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { STATUS_CODES } from 'node:http';
import { DomainError } from '../../errors.js';
import type { ErrorBody, FieldError } from '../../schemas/common.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Errors of this route leave as `{error: message}`, the shape of KServe V2 and TF Serving. */
    protocolErrors?: boolean;
  }
}

const body = (statusCode: number, message: string, code?: string, errors?: FieldError[]): ErrorBody => ({
  statusCode,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
  ...(code ? { code } : {}),
  ...(errors?.length ? { errors } : {}),
});

/** Fastify's and plugins' own error codes, with messages a client can act on. */
function fromFastify(err: FastifyError, limit: number, contentType: string): ErrorBody | undefined {
  // Schema validation arrives as a BadRequestError (api/validation-errors.ts), a domain error.
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return body(
        413,
        `request body is larger than the limit of ${limit} bytes (MAX_UPLOAD_BYTES)`,
        'PAYLOAD_TOO_LARGE',
      );
    case 'FST_REQ_FILE_TOO_LARGE':
      return body(
        413,
        'an uploaded file is larger than the limit (MAX_UPLOAD_BYTES for images, MAX_DATASET_BYTES for datasets)',
        'PAYLOAD_TOO_LARGE',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return body(
        415,
        `content type "${contentType}" is not accepted here; see /docs for the content types each route accepts`,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return body(400, 'the multipart body ended before all its parts were read', 'INCOMPLETE_BODY');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return body(400, 'Content-Length does not match the body', 'BAD_CONTENT_LENGTH');
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return body(413, err.message, 'TOO_MANY_PARTS');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return body(415, 'expected a multipart/form-data body', 'UNSUPPORTED_MEDIA_TYPE');
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return body(err.statusCode, err.message, err.code);
  return undefined;
}

/**
 * The `frameworkErrors` server option: errors the router raises before any route runs (a broken
 * percent-escape, a path segment over maxParamLength). Without it Fastify answers them itself,
 * past the error handler: a 414 saying "Bad Request" with the whole path echoed back.
 */
export function frameworkErrors(maxParamLength: number) {
  return (err: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode ?? 400;
    const message =
      err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? `a path segment is longer than ${maxParamLength} characters`
        : err.code === 'FST_ERR_BAD_URL'
          ? 'the URL path is not valid percent-encoding'
          : err.message;
    void reply.status(status).send(body(status, message, err.code));
  };
}

/** Redis's own error codes, the first word of its reply, for a server temporarily unable to serve. */
const REDIS_BUSY_REPLY = /^(LOADING|BUSY|OOM|MISCONF|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|UNBLOCKED)\b/;
/** Socket errors of a Redis that cannot be reached. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT']);
/**
 * ioredis rejects these with plain Errors, no class or code of their own (ioredis itself tells
 * the first apart by its message): a closed connection, no offline queue while disconnected,
 * and a Redis that holds the connection but does not answer within the command timeout.
 */
const IOREDIS_PLAIN_MESSAGES = [
  'Connection is closed.',
  "Stream isn't writeable",
  'Command timed out',
  // A cluster between primaries (a failover, a lost node) and a Sentinel setup without sentinels.
  "Cluster isn't ready",
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'All sentinels are unreachable',
  // Redirected from node to node while a slot changes hands (a failover, a resharding).
  'Too many Cluster redirections',
];

/**
 * ioredis failures while Redis is away or cannot serve: the client should come back later, not
 * give up. A reply error is Redis answering; only the codes above say it is temporarily unable
 * (loading its data after a restart, out of memory, a replica after failover), not the request's fault.
 */
function isRedisDown(err: Error): boolean {
  if (err instanceof MaxRetriesPerRequestError) return true;
  if (err instanceof ReplyError) return REDIS_BUSY_REPLY.test(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && UNREACHABLE.has(code)) return true;
  const message = String(err.message);
  return IOREDIS_PLAIN_MESSAGES.some((m) => message.startsWith(m));
}

/**
 * The one error handler: every error leaves as `{statusCode, error, message, code, errors}`. Domain
 * errors carry their status; anything unexpected is logged and answered without internals (no
 * message, no path), naming only the request id.
 */
export default fp(async function errors(app: FastifyInstance) {
  const limit = app.deps.config.MAX_UPLOAD_BYTES;
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let out: ErrorBody | undefined;
    // A domain error without a status of its own (500) is a fault of the service, not of the
    // request: answered like any unexpected error below, keeping its code.
    if (err instanceof DomainError && err.statusCode !== 500) {
      out = body(err.statusCode, err.message, err.code, err.fields);
      // A busy or unreachable part (a decoder pool, storage): come back soon, not never.
      if (err.statusCode === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '5');
    } else out = fromFastify(err, limit, String(request.headers['content-type'] ?? 'none'));
    if (!out && isRedisDown(err)) {
      void reply.header('retry-after', '5');
      out = body(503, 'the job store (Redis) is unavailable; retry shortly', 'REDIS_UNAVAILABLE');
    }
    if (!out) {
      // The message stays in the log (with the request id): Node's errors name files, hosts, queries.
      request.log.error({ err }, 'unhandled error');
      const code = err instanceof DomainError ? err.code : 'INTERNAL';
      out = body(500, `internal error; request id ${request.id} finds it in the service's logs`, code);
    } else if (out.statusCode >= 500) {
      request.log.warn({ err: err.message }, out.message);
    }
    // Refused before its body was read whole (a 413 or 503 from the headers or mid-way): the rest
    // is not read and thrown away to keep the connection, which costs as much as reading it.
    if (request.raw.complete === false) void reply.header('connection', 'close');
    // The standard protocols' routes (V2, TF Serving) answer the same error in their own shape.
    if (request.routeOptions.config?.protocolErrors) return reply.status(out.statusCode).send({ error: out.message });
    return reply.status(out.statusCode).send(out);
  });
  app.setNotFoundHandler((request, reply) => {
    const message = `no route for ${request.method} ${request.url.split('?')[0]}`;
    if (request.url.startsWith('/v2/') || request.url === '/v2') return reply.status(404).send({ error: message });
    return reply.status(404).send(body(404, message, 'ROUTE_NOT_FOUND'));
  });
});
