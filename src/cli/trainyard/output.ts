import { ApiError, ConnectionError } from '../../client/index.js';

/** The command's exit codes: 0 done, 1 the job failed or was cancelled (or another refusal), 2 bad usage, 3 no service or no key. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, detached: 130 } as const;

/** A mistake in the command line itself: exits 2 with the message. */
export class UsageError extends Error {}

export interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  err: NodeJS.WritableStream;
  json: boolean;
}

export const print = (io: Io, line = '') => void io.out.write(`${line}\n`);
export const printJson = (io: Io, value: unknown) => void io.out.write(`${JSON.stringify(value, null, 2)}\n`);

/** A plain table: columns padded to their widest cell, a header line first. */
export function table(io: Io, header: string[], rows: (string | number | null | undefined)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  for (const row of cells) print(io, row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/** What an error means for the exit code, with the line to print: never a stack trace. */
export function describeError(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message };
  if (err instanceof ConnectionError) return { code: EXIT.unreachable, message: err.message };
  if (err instanceof ApiError) {
    const line = `${err.message} (${err.status} ${err.code})`;
    if (err.status === 401 || err.status === 403) return { code: EXIT.unreachable, message: line };
    if (err.status === 400) return { code: EXIT.usage, message: line };
    return { code: EXIT.failed, message: line };
  }
  return { code: EXIT.failed, message: err instanceof Error ? err.message : String(err) };
}

export const percent = (x: number | null | undefined) => (typeof x === 'number' ? `${(x * 100).toFixed(1)} %` : '-');
export const fixed = (x: number | null | undefined, digits = 4) => (typeof x === 'number' ? x.toFixed(digits) : '-');
export const count = (x: number | null | undefined) =>
  typeof x === 'number' ? Math.round(x).toLocaleString('en-US') : '-';
