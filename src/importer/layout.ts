import type { SkippedFile } from '../schemas/dataset-import.js';
import type { KeptImage } from './collect-archive.js';
import { ImportRejectedError } from '../datasets/import/errors.js';
import { checkClassLabels } from '../datasets/class-labels.js';
import { MAX_LABEL_LENGTH } from '../schemas/classes.js';
import { DomainError } from '../errors.js';

/**
 * Which folder makes which class: `train/<class>/…` with an optional `test/<class>/…`, or the
 * class folders at the root; either may sit under one top-level folder (as archivers make them).
 * Files elsewhere are skipped as outside a class folder.
 */

/** Images of each class of one split, by class name. */
export type Groups = Map<string, Uint8Array[]>;

export interface Layout {
  train: Groups;
  /** Undefined when the archive has no test split: one is drawn from train. */
  test: Groups | undefined;
  /** The classes, in the stated order (by Unicode code point). */
  classes: string[];
  outside: SkippedFile[];
}

export interface ClassLimits {
  /** MAX_CLASSES */
  maxClasses: number;
}

const SPLITS = new Set(['train', 'test']);

/** Sorts by Unicode code point (not UTF-16 units, not locale): the same names always give the same order. */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The folder everything sits in, when there is exactly one and it is not itself a split or a
 * class. Its own entry (`shapes/`, which `zip -r` and tar write first) is that folder, not a
 * sibling of what it holds.
 */
function commonRoot(files: string[][], dirs: string[][]): string | undefined {
  const first = files[0]?.[0] ?? dirs[0]?.[0];
  if (first === undefined || SPLITS.has(first)) return undefined;
  const shared = files.every((p) => p.length >= 2 && p[0] === first) && dirs.every((p) => p[0] === first);
  return shared && files.some((p) => p.length >= 3) ? first : undefined;
}

export function checkLabel(label: string, where: string): void {
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH || /\p{Cc}/u.test(label)) {
    throw new ImportRejectedError(
      `${where}: class name ${JSON.stringify(label.slice(0, 120))} must be 1–${MAX_LABEL_LENGTH} characters without control characters`,
    );
  }
}

/** Class checks shared by archives and CSV: 2..MAX_CLASSES, none empty, none differing only in case. */
export function checkClasses(classes: string[], counts: (label: string) => number, limits: ClassLimits): void {
  if (classes.length < 2) {
    const found = classes.length === 0 ? 'no class' : `one class (${JSON.stringify(classes[0])})`;
    throw new ImportRejectedError(
      `found ${found}; a dataset needs at least 2: class folders train/<class>/… or <class>/… (or CSV labels)`,
    );
  }
  if (classes.length > limits.maxClasses) {
    throw new ImportRejectedError(`found ${classes.length} classes; at most ${limits.maxClasses} (MAX_CLASSES)`);
  }
  const lower = new Map<string, string>();
  for (const c of classes) {
    const other = lower.get(c.toLowerCase());
    if (other !== undefined) {
      throw new ImportRejectedError(
        `class folders ${JSON.stringify(other)} and ${JSON.stringify(c)} differ only in case: rename or merge them`,
      );
    }
    lower.set(c.toLowerCase(), c);
  }
  try {
    // The naming rules of every dataset (invisible characters, one name composed two ways, length).
    checkClassLabels(classes, limits.maxClasses);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const said = err.message
      .replace(/^labels: /, '')
      .replace(/\bname (\d+)\b/g, (_, i: string) => `class ${JSON.stringify(classes[Number(i)])}`);
    throw new ImportRejectedError(`class folder or label names: ${said}`);
  }
  const empty = classes.filter((c) => counts(c) === 0);
  if (empty.length > 0) {
    throw new ImportRejectedError(
      `class ${empty.map((c) => JSON.stringify(c)).join(', ')} holds no usable image (see the skipped files)`,
    );
  }
}

/**
 * Groups the kept images by class and split. Skipped files and folder entries name
 * classes too, so that a class folder whose files were all skipped is reported as empty.
 */
export function layoutOf(kept: KeptImage[], skippedFiles: string[], dirs: string[], limits: ClassLimits): Layout {
  const split = (p: string) => p.split('/').filter((s) => s !== '');
  const shown = (p: string) => !p.split('/').some((s) => s.startsWith('.') || s === '__MACOSX');
  const others: [string[], boolean][] = [
    ...skippedFiles.filter(shown).map((p): [string[], boolean] => [split(p), true]),
    ...dirs.filter(shown).map((p): [string[], boolean] => [split(p), false]),
  ];
  const all = [...kept.map((k) => split(k.path)), ...others.map(([p]) => p)];
  const files = [...kept.map((k) => split(k.path)), ...others.filter(([, isFile]) => isFile).map(([p]) => p)];
  const root = commonRoot(
    files,
    others.filter(([, isFile]) => !isFile).map(([p]) => p),
  );
  const rel = (segments: string[]) => (root === undefined ? segments : segments.slice(1));
  const splitLayout = all.some((p) => SPLITS.has(rel(p)[0] ?? '') && rel(p).length >= 2);
  /** [split, class] of a file's path, or undefined when it lies outside a class folder. */
  const place = (segments: string[], isFile: boolean): [string, string] | undefined => {
    const r = rel(segments);
    const depth = isFile ? r.length - 1 : r.length; // the folders a file lies in
    if (splitLayout) return SPLITS.has(r[0] ?? '') && depth >= 2 ? [r[0]!, r[1]!] : undefined;
    return depth >= 1 ? ['train', r[0]!] : undefined;
  };

  const train: Groups = new Map();
  const test: Groups = new Map();
  const outside: SkippedFile[] = [];
  const groupsOf = (s: string) => (s === 'test' ? test : train);
  for (const [segments, isFile] of others) {
    const where = place(segments, isFile);
    if (where && !groupsOf(where[0]).has(where[1])) groupsOf(where[0]).set(where[1], []);
  }
  // Sorted by path first: the same files give the same dataset whatever order the archive lists them in.
  for (const k of [...kept].sort((a, b) => byCodePoint(a.path, b.path))) {
    const where = place(split(k.path), true);
    if (!where) {
      outside.push({ file: k.path, reason: 'outside a class folder' });
      continue;
    }
    const groups = groupsOf(where[0]);
    const list = groups.get(where[1]) ?? [];
    list.push(k.pixels);
    groups.set(where[1], list);
  }
  for (const name of [...train.keys(), ...test.keys()]) checkLabel(name, 'class folder');
  const strays = [...test.keys()].filter((c) => !train.has(c));
  if (strays.length > 0) {
    throw new ImportRejectedError(
      `test class ${strays.map((c) => JSON.stringify(c)).join(', ')} has no train/ folder of the same name`,
    );
  }
  const classes = [...train.keys()].sort(byCodePoint);
  const hasTest = [...test.values()].some((l) => l.length > 0);
  checkClasses(classes, (c) => (train.get(c)?.length ?? 0) + (test.get(c)?.length ?? 0), limits);
  return { train, test: hasTest ? test : undefined, classes, outside };
}
