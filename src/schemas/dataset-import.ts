import { Type, type Static } from '@sinclair/typebox';

/**
 * What an imported dataset (an archive of class folders or CSV files) shows of its import: the
 * options it was made with, how far the `dataset-import` job has got, and what it kept and skipped.
 */

export const IMPORT_FORMATS = ['zip', 'tar', 'tar.gz', 'csv'] as const;
import { PREPROCESS_RULES, PreprocessSchema, type Preprocess } from './classes.js';

export { PREPROCESS_RULES };
export type PreprocessRule = Preprocess;

export const DatasetStateSchema = Type.Union(
  [Type.Literal('importing'), Type.Literal('ready'), Type.Literal('failed')],
  {
    description:
      'importing: the dataset-import job has not finished (jobs on it wait); ready: trainable; failed: see `import.error` (jobs on it are refused with 409)',
  },
);
export type DatasetState = Static<typeof DatasetStateSchema>;

export const ImportProgressSchema = Type.Object({
  filesRead: Type.Integer({ minimum: 0, description: 'Archive entries or CSV rows read so far' }),
  imagesKept: Type.Integer({ minimum: 0 }),
  imagesSkipped: Type.Integer({ minimum: 0 }),
});
export type ImportProgress = Static<typeof ImportProgressSchema>;

export const ClassCountSchema = Type.Object({
  label: Type.String(),
  train: Type.Integer({ minimum: 0 }),
  test: Type.Integer({ minimum: 0 }),
});

export const SkippedFileSchema = Type.Object({
  file: Type.String({ description: 'The path in the archive, or `trainCsv:row 12`' }),
  reason: Type.String({
    description: 'not an image, corrupt, unsupported format, too large, outside a class folder, duplicate name, …',
  }),
});
export type SkippedFile = Static<typeof SkippedFileSchema>;

export const ImportReportSchema = Type.Object({
  classes: Type.Array(ClassCountSchema, { description: 'Images per class per split, in class order' }),
  skipped: Type.Array(SkippedFileSchema, { description: 'The first 1,000 skipped files with their reason' }),
  skippedCount: Type.Integer({ minimum: 0, description: 'All skipped files, listed or not' }),
});
export type ImportReport = Static<typeof ImportReportSchema>;

export const DatasetImportSchema = Type.Object(
  {
    format: Type.Union(IMPORT_FORMATS.map((f) => Type.Literal(f))),
    preprocess: PreprocessSchema,
    testSplit: Type.Number({ description: 'The share of each class drawn into the test split when none is given' }),
    seed: Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Seed of the stratified test split' }),
    progress: ImportProgressSchema,
    report: Type.Optional(ImportReportSchema),
    error: Type.Optional(Type.String({ description: 'Why the import failed' })),
    finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  {
    description:
      'Classes are the folder names (or CSV labels) sorted by Unicode code point; label i is the i-th of them.',
  },
);
export type DatasetImport = Static<typeof DatasetImportSchema>;
