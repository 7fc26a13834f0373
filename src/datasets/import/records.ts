import type { ObjectStorage } from '../../storage/types.js';
import type { DatasetImport, ImportProgress } from '../../schemas/dataset-import.js';
import type { DatasetMarker, ImportField } from '../types.js';

/**
 * An import's record, `datasets/<id>/import.json`: written by the API when the upload is staged
 * (state `importing`), rewritten by the import job as it goes, and replaced on success by
 * dataset.json (the commit marker of every dataset). A failed import keeps it, with the reason.
 * The uploaded files wait under `datasets/<id>/source/` until the job has read them.
 */

export const IMPORT_FILE = 'import.json';
export const PREVIEW_FILE = 'preview.png';
export const sourceKey = (id: string, field: string) => `datasets/${id}/source/${field}`;
export const importKey = (id: string) => `datasets/${id}/${IMPORT_FILE}`;

/** The upload fields an import reads: one archive, or a train CSV with an optional test CSV. */
export const ARCHIVE_FIELD = 'archive';
export const CSV_FIELDS = ['trainCsv', 'testCsv'] as const;
export type { ImportField } from '../types.js';

export interface ImportRecord extends DatasetMarker {
  state: 'importing' | 'failed';
  import: DatasetImport;
  /** Which upload fields were staged under source/. */
  sources: ImportField[];
}

export async function readImportRecord(storage: ObjectStorage, id: string): Promise<ImportRecord | undefined> {
  const bytes = await storage.get(importKey(id));
  if (!bytes) return undefined;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Partial<ImportRecord>;
    return v.id === id && (v.state === 'importing' || v.state === 'failed') && typeof v.import === 'object'
      ? (v as ImportRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

export const writeImportRecord = (storage: ObjectStorage, record: ImportRecord) =>
  storage.put(importKey(record.id), Buffer.from(`${JSON.stringify(record, null, 2)}\n`));

/** Ends an import as failed with `reason`: the record stays (the dataset shows why), its files go. */
export async function failImport(
  storage: ObjectStorage,
  record: ImportRecord,
  reason: string,
  progress: ImportProgress = record.import.progress,
): Promise<void> {
  const failed: ImportRecord = {
    ...record,
    state: 'failed',
    note: `the import failed: ${reason}`,
    bytes: 0,
    import: { ...record.import, progress, error: reason, finishedAt: new Date().toISOString() },
  };
  await writeImportRecord(storage, failed);
  const keys = await storage.list(`datasets/${record.id}/`);
  await Promise.all(keys.filter((k) => k !== importKey(record.id)).map((k) => storage.delete(k)));
}
