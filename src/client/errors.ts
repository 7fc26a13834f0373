/** The service answered with its error shape: the status, the code and the message it gave. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The service could not be reached (refused, reset, DNS, timed out): no answer at all. */
export class ConnectionError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    const reason =
      cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super(`cannot reach ${url}: ${reason}`);
    this.name = 'ConnectionError';
  }
}

/** An ApiError from a response that is not 2xx, reading the service's `{message, code}` when it sent them. */
export async function errorOf(response: Response, body?: unknown): Promise<ApiError> {
  let parsed = body;
  if (parsed === undefined) {
    const text = await response.text().catch(() => '');
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const shape = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { message?: unknown; code?: unknown };
  const message =
    typeof shape.message === 'string'
      ? shape.message
      : typeof parsed === 'string' && parsed
        ? parsed.slice(0, 300)
        : `${response.status} ${response.statusText}`;
  const code = typeof shape.code === 'string' ? shape.code : `HTTP_${response.status}`;
  return new ApiError(response.status, code, message, parsed);
}
