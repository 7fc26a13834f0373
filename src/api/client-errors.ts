import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** What the HTTP parser refused, as status, code and message of the one error shape. */
function describe(err: NodeJS.ErrnoException): [status: number, code: string, message: string] {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time'];
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return [431, 'HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts (16 KB)'];
  const why = err.code?.startsWith('HPE_') ? `: ${err.code.slice(4).toLowerCase().replace(/_/g, ' ')}` : '';
  return [400, 'MALFORMED_HTTP', `the request is not valid HTTP/1.1${why}`];
}

/**
 * Answers requests the HTTP parser refused (bytes after a lying Content-Length, broken
 * headers, headers too large) in the one error shape, then closes the connection, as Node
 * does: nothing else can be read from it safely.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, code, message] = describe(err);
  const body = JSON.stringify({ statusCode, error: STATUS_CODES[statusCode], message, code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
