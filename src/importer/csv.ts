import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import type { ImportProgress, PreprocessRule } from '../schemas/dataset-import.js';
import { INPUT_SIZE, IMAGE_SIDE } from '../schemas/image-shape.js';
import { ImportRejectedError } from '../datasets/import/errors.js';
import type { Groups } from './layout.js';
import { checkLabel } from './layout.js';
import { convertByRule } from '../inference/preprocess.js';

/**
 * A CSV of images, Kaggle's digit-recognizer form: a header row naming a `label` column and 784
 * pixel columns (0–255, row-major 28×28), then one image per row; labels may be any strings.
 * Any row that breaks the form fails the import, naming the file, the row and the column.
 */

export interface CsvOptions {
  rule: PreprocessRule;
  /** MAX_DATASET_IMAGES, over every file of the import. */
  maxImages: number;
  progress: ImportProgress;
  onRow(progress: ImportProgress): Promise<void> | void;
}

/** A row of 785 short numbers fits in far less; a longer one is not this format. */
const MAX_RECORD_BYTES = 64 * 1024;
const PIXEL = /^\d{1,3}$/;

export async function readCsvFile(path: string, field: string, groups: Groups, opts: CsvOptions): Promise<void> {
  const parser = createReadStream(path).pipe(
    parse({
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  let labelAt = -1;
  let width = 0;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      if (row === 1) {
        labelAt = record.findIndex((h) => h.toLowerCase() === 'label');
        if (labelAt < 0) throw new ImportRejectedError(`${field}: the header row has no "label" column`);
        if (record.length !== INPUT_SIZE + 1) {
          throw new ImportRejectedError(
            `${field}: the header row has ${record.length} columns; expected "label" and ${INPUT_SIZE} pixel columns (${IMAGE_SIDE}×${IMAGE_SIDE})`,
          );
        }
        width = record.length;
        continue;
      }
      if (record.length !== width) {
        throw new ImportRejectedError(`${field}: row ${row} has ${record.length} values; the header has ${width}`);
      }
      const label = record[labelAt]!;
      checkLabel(label, `${field}: row ${row}`);
      const pixels = new Uint8Array(INPUT_SIZE);
      for (let c = 0, p = 0; c < width; c++) {
        if (c === labelAt) continue;
        const v = record[c]!;
        const n = PIXEL.test(v) ? Number(v) : NaN;
        if (!(n <= 255)) {
          throw new ImportRejectedError(
            `${field}: row ${row}, column ${c + 1}: ${JSON.stringify(v.slice(0, 20))} is not a pixel value (an integer 0–255)`,
          );
        }
        pixels[p++] = n;
      }
      if (++opts.progress.imagesKept > opts.maxImages) {
        throw new ImportRejectedError(
          `more than ${opts.maxImages.toLocaleString('en-US')} images (MAX_DATASET_IMAGES)`,
        );
      }
      opts.progress.filesRead++;
      const list = groups.get(label) ?? [];
      list.push(convertByRule(opts.rule)(pixels, IMAGE_SIDE, IMAGE_SIDE));
      groups.set(label, list);
      await opts.onRow(opts.progress);
    }
  } catch (err) {
    // csv-parse's own refusals: unclosed or stray quotes, a record over the size limit, bad encoding
    // (their codes are not all CSV_…: INVALID_OPENING_QUOTE is not).
    if (!(err instanceof CsvError)) throw err;
    throw new ImportRejectedError(`${field}: not a readable CSV file: ${(err as Error).message}`);
  } finally {
    parser.destroy();
  }
  if (row <= 1) throw new ImportRejectedError(`${field}: no rows after the header`);
}
