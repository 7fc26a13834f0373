import { DomainError } from '../errors.js';

/** A dataset that cannot be had: files missing or unreadable, a package not installed. */
export const DATASET_UNAVAILABLE = 'DATASET_UNAVAILABLE';
/** A built-in dataset's files are there but do not hold what they should. */
export const DATASET_CORRUPT = 'DATASET_CORRUPT';
/** MNIST could not be downloaded or cached. */
export const DATASET_DOWNLOAD_FAILED = 'DATASET_DOWNLOAD_FAILED';

const LOAD_FAILURES: ReadonlySet<string> = new Set([
  DATASET_UNAVAILABLE,
  DATASET_CORRUPT,
  DATASET_DOWNLOAD_FAILED,
  'DATASET_IMPORT_FAILED', // an import that failed will not succeed on a retry
]);

/**
 * Whether loading a dataset failed for the dataset itself rather than for a passing fault: the
 * worker fails such a job at once, since retrying it would fail the same way.
 */
export const isDatasetLoadFailure = (err: unknown): err is DomainError =>
  err instanceof DomainError && LOAD_FAILURES.has(err.code);
