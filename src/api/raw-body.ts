import type { Readable } from 'node:stream';
import { errorCodes, type FastifyRequest } from 'fastify';

type Done = (err: Error | null, body?: Buffer) => void;

const SEGMENT = 1024 * 1024;

/**
 * A content-type parser that reads a binary body into one buffer of its declared length as it
 * arrives. Fastify's own reader keeps every chunk until the end: the chunks of a large, slow body
 * then outlive V8's young generation, and the memory behind them stays until a full collection,
 * tens of MiB later. Copied out at once, each chunk goes with the next young collection (a small
 * body lands in Node's buffer pool, a large one in a buffer of its own). A body of unknown length
 * (chunked) is copied into segments growing from 64 KiB to SEGMENT, joined at the end. The declared
 * length was reserved against MAX_PREDICT_BODY_BYTES before this runs (predict-bodies.ts).
 */
export function rawBodyParser(limit: number) {
  return (request: FastifyRequest, payload: Readable, done: Done): void => {
    const declared = Number(request.headers['content-length']);
    if (declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    const known = Number.isSafeInteger(declared) && declared >= 0;
    const body = known ? Buffer.allocUnsafe(declared) : undefined;
    const segments: Buffer[] = [];
    let used = 0; // bytes of the last segment filled
    let received = 0;
    let finished = false;
    const finish = (err: Error | null, value?: Buffer) => {
      if (finished) return;
      finished = true;
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', onError);
      payload.off('close', onClose);
      done(err, value);
    };
    const onData = (chunk: Buffer) => {
      if (received + chunk.length > (known ? declared : limit)) {
        return finish(
          known ? new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH() : new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(),
        );
      }
      if (body) chunk.copy(body, received);
      else copyIntoSegments(chunk);
      received += chunk.length;
    };
    // Segments grow from 64 KiB to SEGMENT, so that a small chunked body costs little.
    const copyIntoSegments = (chunk: Buffer) => {
      for (let at = 0; at < chunk.length;) {
        let last = segments.at(-1);
        if (!last || used === last.length) {
          segments.push((last = Buffer.allocUnsafeSlow(Math.min(SEGMENT, Math.max(64 * 1024, received)))));
          used = 0;
        }
        const n = chunk.copy(last, used, at);
        at += n;
        used += n;
      }
    };
    const onEnd = () => {
      if (known && received !== declared) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      finish(
        null,
        body ?? (segments.length === 1 ? segments[0]!.subarray(0, received) : Buffer.concat(segments, received)),
      );
    };
    const onError = (err: Error & { statusCode?: number }) => {
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
      finish(err);
    };
    // A stream that closes without its end (the client left) settles the request too.
    const onClose = () => onError(Object.assign(new Error('the request was aborted'), { statusCode: 400 }));
    if (payload.destroyed) return onClose();
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('close', onClose);
    payload.resume();
  };
}
