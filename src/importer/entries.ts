/**
 * One entry of an archive as the importer sees it, whichever format it came from. `read()` gives
 * the bytes (at most the entry's size, which the reader checks against what it unpacks); an entry
 * that is not read is skipped by the reader.
 */
export interface ArchiveEntry {
  /** The path as stored, `/`-separated. */
  path: string;
  kind: 'file' | 'dir' | 'link' | 'other';
  /** Declared size of a file, in bytes (uncompressed). */
  size: number;
  read(): Promise<Buffer>;
}

export interface ArchiveLimits {
  /** MAX_IMPORT_FILES: entries of any kind. */
  maxEntries: number;
  /** MAX_IMPORT_UNPACKED_BYTES: everything the archive unpacks to. */
  maxUnpackedBytes: number;
  /** Entries larger than this are skipped unread ("too large"). */
  maxFileBytes: number;
}

/** An entry larger than this may not deflate by more than MAX_RATIO: a bomb's signature. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;
export const MAX_RATIO = 100;

/** What is wrong with a path that would leave the dataset's folder (zip slip), or undefined. */
export function unsafePath(path: string): string | undefined {
  if (path.includes('\0')) return 'a NUL byte in its name';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return 'an absolute path';
  if (path.split(/[\\/]/).some((s) => s === '..')) return 'a ".." segment';
  return undefined;
}

export const fmtBytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/** Entry names may be 64 KiB long: reports and reasons show at most this many characters of one. */
const SHOWN_NAME_CHARS = 200;

/** A name as reports and reasons show it: its start and its end around "…" when it is too long. */
export function shownName(path: string): string {
  if (path.length <= SHOWN_NAME_CHARS) return path;
  const chars = Array.from(path);
  if (chars.length <= SHOWN_NAME_CHARS) return path;
  const half = SHOWN_NAME_CHARS / 2 - 1;
  return `${chars.slice(0, half).join('')}…${chars.slice(-half).join('')}`;
}
