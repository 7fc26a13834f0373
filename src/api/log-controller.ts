import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One log line per request, written when it is answered, instead of Fastify's pair of
 * "incoming"/"completed" lines; our error handler logs the errors that matter.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override defaultErrorLog(): void {}

  override requestCompleted(_error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    reply.log.info(fields(request, reply), 'request');
  }

  /**
   * A streamed response that stops early never "completes": an event stream ends this way
   * whenever its client leaves. That is its one line, marked as such, not a second message.
   */
  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as Error & { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      reply.log.info({ ...fields(request, reply), closedByClient: true }, 'request');
    } else {
      reply.log.warn({ ...fields(request, reply), err: error.message }, 'request');
    }
  }
}

function fields(request: FastifyRequest, reply: FastifyReply) {
  return {
    method: request.method,
    url: request.url,
    route: request.routeOptions.url,
    statusCode: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
  };
}
