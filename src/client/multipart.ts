/** A field of a multipart/form-data body: a file when it has a filename. */
export interface UploadPart {
  field: string;
  data: Uint8Array;
  filename?: string;
  type?: string;
}

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();
const quoted = (text: string) => text.replace(/[\r\n"\\]/g, '_');

/**
 * A multipart/form-data body of known length, read in 64 KiB chunks as the connection pulls them,
 * so that `onProgress` tells the bytes actually sent (fetch itself reports no upload progress).
 */
export function multipartBody(parts: UploadPart[], onProgress?: (sent: number, total: number) => void) {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
  const boundary = `----trainyard${random}`;
  const pieces: Uint8Array[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${quoted(part.field)}"${part.filename === undefined ? '' : `; filename="${quoted(part.filename)}"`}`;
    const type = part.filename === undefined ? '' : `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n`;
    pieces.push(encoder.encode(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), part.data);
    pieces.push(encoder.encode('\r\n'));
  }
  pieces.push(encoder.encode(`--${boundary}--\r\n`));
  const length = pieces.reduce((n, p) => n + p.byteLength, 0);
  let piece = 0;
  let offset = 0;
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (piece >= pieces.length) return controller.close();
      const current = pieces[piece]!;
      const chunk = current.subarray(offset, offset + CHUNK);
      offset += chunk.byteLength;
      if (offset >= current.byteLength) {
        piece++;
        offset = 0;
      }
      sent += chunk.byteLength;
      controller.enqueue(chunk);
      onProgress?.(sent, length);
    },
  });
  return { stream, length, contentType: `multipart/form-data; boundary=${boundary}` };
}
