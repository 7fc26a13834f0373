import { expect } from 'vitest';

export type Part = [name: string, value: string | Uint8Array];

/**
 * A multipart/form-data body built by the platform's own encoder (FormData + Request), as the
 * bytes and content-type header to hand to `app.inject`. Files get `filename`.
 */
export async function multipart(
  parts: Part[],
  file: { filename?: (name: string) => string; type?: string } = {},
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([new Uint8Array(value)], { type: file.type ?? '' }), file.filename?.(name) ?? name);
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    headers: { 'content-type': request.headers.get('content-type')! },
  };
}

/**
 * Asserts the one error shape `{statusCode, error, message, code, errors?}` and what the message
 * says; `errors`, where present, is a list of `{path, message}`.
 */
export function expectError(
  res: { statusCode: number; json(): unknown },
  status: number,
  code: string,
  message: RegExp,
): void {
  expect(res.statusCode).toBe(status);
  const body = res.json() as Record<string, unknown>;
  const fields = Array.isArray(body.errors)
    ? { errors: body.errors.map(() => ({ path: expect.any(String), message: expect.any(String) })) }
    : {};
  expect(body).toEqual({ statusCode: status, error: expect.any(String), message: expect.any(String), code, ...fields });
  expect(body.message).toMatch(message);
}
