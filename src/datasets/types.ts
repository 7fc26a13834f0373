import type { Readable } from 'node:stream';
import type { Preprocess } from '../schemas/classes.js';
import type { DatasetImport, DatasetState } from '../schemas/dataset-import.js';

/** An archive's or CSV files' upload fields. */
export type ImportField = 'archive' | 'trainCsv' | 'testCsv';
export type ImportParams = Pick<DatasetImport, 'preprocess' | 'testSplit' | 'seed'>;

/** One split of a dataset: `count` 28×28 images as raw bytes (0–255) and their labels (class indices). */
export interface Split {
  readonly count: number;
  /** count × 784 bytes, row-major, white digit on black as in MNIST. */
  readonly images: Uint8Array;
  /** count bytes, each a class index below the dataset's number of classes. */
  readonly labels: Uint8Array;
}

export interface LoadedDataset {
  readonly id: string;
  readonly train: Split;
  readonly test: Split;
  /** Names of the classes, index = label: their number is the dataset's classes. */
  readonly labels: readonly string[];
  /** How images become input, which every model trained on it carries to predict. */
  readonly preprocess: Preprocess;
}

/** What the API shows of a dataset (the `Dataset` schema). */
export interface DatasetInfo {
  id: string;
  name: string;
  builtin: boolean;
  /** The owner of an upload; null for the built-ins, which every tenant shares. */
  tenant: string | null;
  available: boolean;
  /** Why an unavailable dataset cannot be used, or how an available one will be fetched. */
  note?: string;
  trainSize: number;
  testSize: number;
  imageShape: [28, 28];
  classes: number;
  labels: string[];
  preprocess: Preprocess;
  createdAt: string | null;
  /** Imported datasets only (archives, CSV): absent for IDX uploads and built-ins, which are ready. */
  state?: DatasetState;
  import?: DatasetImport;
}

export type UploadField = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

/** dataset.json of an upload: what the API shows, plus what quotas count (never shown). */
export interface DatasetMarker extends DatasetInfo {
  /** Who uploaded it: an API key's id, or `ip:<address>` while the service runs open. */
  owner: string;
  /** The four files' size as stored (uncompressed). */
  bytes: number;
}

/** The four IDX files of an upload, as received (gzipped or not), whole: for tools and tests. */
export interface DatasetUpload {
  name: string;
  owner: string;
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
  /** Names of the classes (default: "0"… for ten, or up to the highest label). */
  labels?: string[];
  preprocess?: Preprocess;
}

/** What an upload says of its classes beside the files. */
export interface UploadClasses {
  /** Names, index = label; without them the classes are named "0", "1", … */
  labels?: string[];
  /** Default `mnist`. */
  preprocess?: Preprocess;
}

/** An upload in progress: files stream in one by one, then commit() stores it or abort() removes it. */
export interface DatasetUploadSession {
  readonly id: string;
  /** Streams one file (gzipped or not) into storage, validating it on the way (InvalidInputError naming the file). */
  addFile(field: UploadField, source: Readable): Promise<void>;
  /** Checks the four files together and writes the marker: from then on the dataset is listed. */
  commit(name: string, classes?: UploadClasses): Promise<DatasetInfo>;
  /** Removes whatever was written unless committed, and frees the upload's slot; safe to call always. */
  abort(): Promise<void>;
}

/** An import's upload: files stream into staging, then commit() records it as `importing` for the import job. */
export interface DatasetImportSession {
  readonly id: string;
  /** Streams one uploaded file into storage (an InvalidInputError when an archive is not one). */
  addSource(field: ImportField, source: Readable): Promise<void>;
  commit(name: string, params: ImportParams): Promise<DatasetInfo>;
  /** Removes whatever was written unless committed, and frees the upload's slot; safe to call always. */
  abort(): Promise<void>;
}

export interface DatasetStore {
  list(): Promise<DatasetInfo[]>;
  /** Throws NotFoundError for an unknown id. */
  get(id: string): Promise<DatasetInfo>;
  /**
   * Starts an upload for `owner` within the quotas (a 429 past the uploads in flight or the
   * owner's dataset count). The caller must end it with commit() or abort().
   */
  beginUpload(owner: string): Promise<DatasetUploadSession>;
  /** Starts an import (archive or CSV) for `owner`, within the same quotas as beginUpload. */
  beginImport(owner: string): Promise<DatasetImportSession>;
  /** The preview grid an import stored (PNG), or undefined for datasets without one. */
  preview(id: string): Promise<Buffer | undefined>;
  /** Bytes `owner` keeps in this tenant's datasets other than `except` (the unpacked size, for imports). */
  storedBy(owner: string, except?: string): Promise<number>;
  /** An upload of whole buffers through beginUpload: validated, then stored atomically. */
  create(upload: DatasetUpload): Promise<DatasetInfo>;
  /** Throws NotFoundError for unknown ids and ConflictError for built-ins. */
  remove(id: string): Promise<void>;
  /** Parsed images and labels; parsed once per process and then served from memory. */
  load(id: string): Promise<LoadedDataset>;
  /**
   * Removes the files of uploads that never wrote their marker and started more than
   * `olderThanMs` ago (a crash mid-upload). Returns how many uploads went.
   */
  sweep(olderThanMs: number): Promise<number>;
  /**
   * The same store as one tenant sees it: the built-ins and that tenant's uploads, nothing of
   * another's (whose ids are simply not found). This store itself is the default tenant's.
   */
  forTenant(tenant: string): DatasetStore;
  /** The uploads this tenant keeps and their bytes as stored (for admins). */
  usage(): Promise<{ datasets: number; bytes: number }>;
}
