import { BadRequestError, InvalidInputError } from '../errors.js';
import { fieldError } from '../schemas/common.js';
import { MAX_LABEL_LENGTH } from '../schemas/classes.js';
import { DIGIT_CLASSES, MIN_CLASSES } from '../schemas/image-shape.js';
import { DIGIT_LABELS } from './builtin.js';

/**
 * Class names of a dataset: given by the uploader (the `labels` field of an IDX upload), or
 * "0", "1", … when not. Shared by every way a dataset is made, so all of them hold to the
 * same rules: 2 to MAX_CLASSES names of 1–64 printable characters, no two alike ignoring case.
 */

// Control characters would make names that print as something else in tables and logs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Characters that show as nothing or reorder what follows (bidi overrides, zero-width spaces,
// line separators, lone surrogates) make names that look like others. The joiners stay (emoji,
// Persian and Indic spelling need them) but are ignored when names are compared.
const INVISIBLE = /(?![\u200c\u200d])[\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const JOINERS = /[\u200c\u200d]/g;

const invalid = (message: string) =>
  new BadRequestError(`labels: ${message}`, 'INVALID_LABELS', [fieldError('labels', message)]);

/**
 * The `labels` text field: a JSON array of strings, or names separated by commas (each trimmed).
 * Checked against `maxClasses` (MAX_CLASSES) and the naming rules.
 */
export function parseLabelsField(value: string, maxClasses: number): string[] {
  const text = value.trim();
  let names: unknown;
  if (text.startsWith('[')) {
    try {
      names = JSON.parse(text);
    } catch {
      throw invalid('is not valid JSON; send a JSON array of strings or names separated by commas');
    }
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
      throw invalid('must be a JSON array of strings');
    }
  } else {
    names = text.split(',').map((n) => n.trim());
  }
  return checkClassLabels(names as string[], maxClasses);
}

/** The names as given, or a 400 saying what is wrong with them. */
export function checkClassLabels(names: readonly string[], maxClasses: number): string[] {
  if (names.length < MIN_CLASSES) throw invalid(`names ${names.length} class(es); at least ${MIN_CLASSES} are needed`);
  if (names.length > maxClasses) {
    throw invalid(`names ${names.length} classes; at most ${maxClasses} (MAX_CLASSES)`);
  }
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name.length === 0) throw invalid(`name ${i} is empty`);
    if (name.length > MAX_LABEL_LENGTH) throw invalid(`name ${i} is longer than ${MAX_LABEL_LENGTH} characters`);
    if (CONTROL.test(name)) throw invalid(`name ${i} holds a control character`);
    const hidden = INVISIBLE.exec(name)?.[0];
    if (hidden !== undefined) {
      const hex = hidden.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      throw invalid(`name ${i} holds an invisible or formatting character (U+${hex})`);
    }
    if (name.trim() !== name) throw invalid(`name ${i} (${JSON.stringify(name)}) starts or ends with a space`);
    // Composed and decomposed forms of one name (é, e + ◌́) look alike: compared in one form.
    const folded = name.normalize('NFC').replace(JOINERS, '').toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined) {
      throw invalid(
        `names ${earlier} and ${i} (${JSON.stringify(names[earlier])}, ${JSON.stringify(name)}) differ only in case or not at all`,
      );
    }
    seen.set(folded, i);
  });
  return [...names];
}

/**
 * The classes of an upload whose highest label is `maxLabel`: the given names, which must
 * cover every label, or "0"… "9" (as before names could be given; "0"… up to MAX_CLASSES − 1
 * when that is below ten), or "0"… up to maxLabel.
 */
export function uploadLabels(
  given: readonly string[] | undefined,
  maxLabel: number,
  maxClasses: number = DIGIT_CLASSES,
): string[] {
  if (given) {
    if (maxLabel >= given.length) {
      throw new InvalidInputError(
        `the label files hold label ${maxLabel}, but "labels" names only ${given.length} classes (0–${given.length - 1})`,
        'INVALID_LABELS',
      );
    }
    return [...given];
  }
  if (maxLabel < DIGIT_CLASSES && maxClasses >= DIGIT_CLASSES) return [...DIGIT_LABELS];
  // Under a MAX_CLASSES below ten, as many as it allows (labels were checked below it when read).
  const count = maxLabel < DIGIT_CLASSES ? Math.max(MIN_CLASSES, Math.min(DIGIT_CLASSES, maxClasses)) : maxLabel + 1;
  return Array.from({ length: count }, (_, i) => String(i));
}
