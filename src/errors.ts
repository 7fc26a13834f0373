import type { FieldError } from './schemas/common.js';

/**
 * Domain errors. Domain code throws these; the API's single error handler maps them to
 * HTTP statuses and the one error shape `{statusCode, error, message, code, errors}`. The worker
 * maps `isPermanent` errors to BullMQ's UnrecoverableError so bad input is not retried.
 */
export class DomainError extends Error {
  readonly statusCode: number = 500;
  /** A permanent error fails a training job at once instead of being retried. */
  readonly isPermanent: boolean = false;

  constructor(
    message: string,
    readonly code: string,
    /** The fields the request was refused for, answered as the error shape's `errors`. */
    readonly fields?: FieldError[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends DomainError {
  override readonly statusCode = 400;
  override readonly isPermanent = true;
}

/** Input was well-formed but its content is unusable: a bad image, a malformed IDX file. */
export class InvalidInputError extends BadRequestError {}

export class NotFoundError extends DomainError {
  override readonly statusCode = 404;
  override readonly isPermanent = true;
}

export class ConflictError extends DomainError {
  override readonly statusCode = 409;
}

export class PayloadTooLargeError extends DomainError {
  override readonly statusCode = 413;
  override readonly isPermanent = true;
}

export class UnsupportedMediaTypeError extends DomainError {
  override readonly statusCode = 415;
}

/** A dependency (Redis, a dataset mirror) is unreachable; callers may retry later. */
export class UnavailableError extends DomainError {
  override readonly statusCode = 503;
}

/** No valid API key was sent. */
export class UnauthorizedError extends DomainError {
  override readonly statusCode = 401;
}

/** The API key is valid but its scope does not cover the route. */
export class ForbiddenError extends DomainError {
  override readonly statusCode = 403;
}

/** A rate limit or quota is used up; the response says when to come back. */
export class TooManyRequestsError extends DomainError {
  override readonly statusCode = 429;
}
