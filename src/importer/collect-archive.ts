import type { ImportProgress, PreprocessRule, SkippedFile } from '../schemas/dataset-import.js';
import { ImportRejectedError } from '../datasets/import/errors.js';
import { fmtBytes, shownName, unsafePath, type ArchiveEntry, type ArchiveLimits } from './entries.js';
import { isArchiveBytes, prepareImage, skipByName, type PrepareLimits } from './prepare.js';

/** An image kept from an archive, as the network will see it, with where it was found. */
export interface KeptImage {
  path: string;
  pixels: Uint8Array;
}

export interface Collected {
  kept: KeptImage[];
  skipped: SkippedFile[];
  /** Folder entries: a class folder with no image in it is still a class (an empty one). */
  dirs: string[];
  progress: ImportProgress;
}

export interface CollectOptions extends ArchiveLimits, PrepareLimits {
  rule: PreprocessRule;
  /** MAX_DATASET_IMAGES */
  maxImages: number;
  /** Called after every entry; may throw to stop (a deadline, a deleted dataset). */
  onEntry(progress: ImportProgress): Promise<void> | void;
}

/**
 * Reads every entry of an archive once, in its order: links and paths that leave the archive fail
 * the import; other files that are not images are skipped with their reason; images are decoded
 * and converted at once, so that only their 784 bytes are kept. Which folder makes which class
 * is decided afterwards (layout.ts), when every path is known.
 */
export async function collectArchive(entries: AsyncIterable<ArchiveEntry>, opts: CollectOptions): Promise<Collected> {
  const kept: KeptImage[] = [];
  const skipped: SkippedFile[] = [];
  const dirs: string[] = [];
  const seen = new Set<string>();
  const progress: ImportProgress = { filesRead: 0, imagesKept: 0, imagesSkipped: 0 };
  const skip = (file: string, reason: string) => {
    skipped.push({ file, reason });
    progress.imagesSkipped++;
  };
  for await (const entry of entries) {
    progress.filesRead++;
    const unsafe = unsafePath(entry.path);
    if (unsafe)
      throw new ImportRejectedError(`entry ${JSON.stringify(shownName(entry.path))} has ${unsafe} (zip slip): refused`);
    if (entry.kind === 'link') {
      throw new ImportRejectedError(
        `entry ${JSON.stringify(shownName(entry.path))} is a symbolic or hard link: links are refused`,
      );
    }
    const path = entry.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (entry.kind === 'dir') {
      if (path) dirs.push(path);
    } else if (entry.kind === 'other') {
      skip(path, 'not a regular file');
    } else if (seen.has(path)) {
      skip(path, 'duplicate name (the first entry of that name is kept)');
    } else {
      seen.add(path);
      await take(entry, path);
    }
    await opts.onEntry(progress);
  }
  return { kept, skipped, dirs, progress };

  async function take(entry: ArchiveEntry, path: string): Promise<void> {
    const byName = skipByName(path);
    if (byName) return skip(path, byName);
    if (entry.size > opts.maxFileBytes) {
      return skip(path, `too large: ${fmtBytes(entry.size)}, at most ${fmtBytes(opts.maxFileBytes)} per image`);
    }
    const bytes = await entry.read();
    if (isArchiveBytes(bytes)) return skip(path, 'nested archive (archives inside the archive are not unpacked)');
    const prepared = await prepareImage(bytes, opts.rule, opts);
    if ('skip' in prepared) return skip(path, prepared.skip);
    if (kept.length >= opts.maxImages) {
      throw new ImportRejectedError(
        `the archive holds more than ${opts.maxImages.toLocaleString('en-US')} images (MAX_DATASET_IMAGES)`,
      );
    }
    kept.push({ path, pixels: prepared });
    progress.imagesKept++;
  }
}
