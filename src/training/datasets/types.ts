/** One split of a dataset: `count` 28×28 images as raw bytes (0–255) and their labels (0–9). */
export interface Split {
  readonly count: number;
  /** count × 784 bytes, row-major, white digit on black as in MNIST. */
  readonly images: Uint8Array;
  /** count bytes, each 0–9. */
  readonly labels: Uint8Array;
}

export interface LoadedDataset {
  readonly id: string;
  readonly train: Split;
  readonly test: Split;
  /** Human names of the 10 classes, index = label. */
  readonly labels: readonly string[];
}

/** What the API shows of a dataset (the `Dataset` schema). */
export interface DatasetInfo {
  id: string;
  name: string;
  builtin: boolean;
  available: boolean;
  /** Why an unavailable dataset cannot be used, or how an available one will be fetched. */
  note?: string;
  trainSize: number;
  testSize: number;
  imageShape: [28, 28];
  classes: 10;
  labels: string[];
  createdAt: string | null;
}

/** The four IDX files of an upload, as received (gzipped or not). */
export interface DatasetUpload {
  name: string;
  trainImages: Buffer;
  trainLabels: Buffer;
  testImages: Buffer;
  testLabels: Buffer;
}

export interface DatasetStore {
  list(): Promise<DatasetInfo[]>;
  /** Throws NotFoundError for an unknown id. */
  get(id: string): Promise<DatasetInfo>;
  /** Validates every file (InvalidInputError naming the file and the problem), then stores atomically. */
  create(upload: DatasetUpload): Promise<DatasetInfo>;
  /** Throws NotFoundError for unknown ids and ConflictError for built-ins. */
  remove(id: string): Promise<void>;
  /** Parsed images and labels; parsed once per process and then served from memory. */
  load(id: string): Promise<LoadedDataset>;
}
