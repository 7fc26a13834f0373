import { ConflictError, DomainError } from '../../errors.js';

/** The upload's own fault (a hostile or malformed archive or CSV): the import fails for good with this message. */
export class ImportRejectedError extends DomainError {
  override readonly statusCode = 400;
  override readonly isPermanent = true;
  constructor(message: string) {
    super(message, 'IMPORT_REJECTED');
  }
}

/** A job or load on a dataset whose import has not finished: training jobs wait for it. */
export const DATASET_IMPORTING = 'DATASET_IMPORTING';
/** A job on a dataset whose import failed: refused (409), or failed at once in the worker. */
export const DATASET_IMPORT_FAILED = 'DATASET_IMPORT_FAILED';

export const importingError = (id: string) =>
  new ConflictError(`dataset "${id}" is still importing`, DATASET_IMPORTING);
export const importFailedError = (id: string, reason: string | undefined) =>
  new ConflictError(`dataset "${id}" failed to import: ${reason ?? 'unknown reason'}`, DATASET_IMPORT_FAILED);
