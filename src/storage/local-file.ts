import { open } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A stage between the source and the file: a stream, or a function from chunks to chunks. */
export type FileStep = Transform | ((input: AsyncIterable<Buffer>) => AsyncIterable<Buffer>);

/**
 * Pipes `source` through `steps` into a new file at `path` ('wx': a fresh name), settling only once
 * the file is closed. A pipeline rejects as soon as a stage fails, while a write stream may still be
 * opening its file; a caller's cleanup that ran then would miss a file created just after.
 */
export async function pipeToNewFile(path: string, source: Readable, ...steps: FileStep[]): Promise<void> {
  const file = await open(path, 'wx').catch((err: unknown) => {
    source.destroy(); // the source would otherwise stay open (a storage response, a request)
    throw err;
  });
  const sink = file.createWriteStream();
  try {
    // pipeline's typings name each position; a run of mixed stages is only known to be one here.
    await (pipeline as (...streams: unknown[]) => Promise<void>)(source, ...steps, sink);
  } finally {
    if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
  }
}
