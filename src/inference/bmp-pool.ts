import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidInputError, UnavailableError, UnsupportedMediaTypeError } from '../errors.js';
import type { BmpResult, BmpTask } from './bmp-worker.js';

export interface DecodedGray {
  width: number;
  height: number;
  gray: Uint8Array;
}

/** BMP decoding on worker threads: a few workers, a bounded queue, so no request waits forever. */
export interface BmpPool {
  /**
   * With `maxSide`, the image may come back shrunk by a whole factor, no smaller than that side.
   * With `consume`, bytes that are the whole of their buffer move to the worker (and are detached here).
   */
  decode(bytes: Uint8Array, maxSide?: number, consume?: boolean): Promise<DecodedGray>;
  close(): Promise<void>;
}

export interface BmpPoolOptions {
  /** Worker threads, started on first use. */
  threads?: number;
  /** BMPs waiting for a worker; past it a decode is refused with a 503. */
  maxQueued?: number;
}

/** The compiled worker: beside this file once built; from TypeScript sources (tests), the build output. */
function workerPath(): string {
  const beside = fileURLToPath(new URL('./bmp-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/inference/bmp-worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error('the compiled BMP worker is missing: run `npm run build` first');
}

interface Task {
  id: number;
  bytes: Uint8Array;
  maxSide?: number;
  consume?: boolean;
  resolve(image: DecodedGray): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

function errorOf(e: { statusCode: number; code: string; message: string }): Error {
  return e.statusCode === 415
    ? new UnsupportedMediaTypeError(e.message, e.code)
    : new InvalidInputError(e.message, e.code);
}

export function createBmpPool({ threads = 2, maxQueued = 32 }: BmpPoolOptions = {}): BmpPool {
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 0;

  function spawn(): Slot {
    // A small young generation: a worker's own heap otherwise grows to V8's default (tens of MB)
    // after a few large BMPs and keeps it; their pixels are ArrayBuffers, outside it anyway.
    const slot: Slot = { worker: new Worker(workerPath(), { resourceLimits: { maxYoungGenerationSizeMb: 4 } }) };
    slot.worker.unref(); // idle workers never keep the process alive
    slot.worker.on('message', (result: BmpResult) => {
      const task = slot.task;
      slot.task = undefined;
      slot.worker.unref();
      if (task) {
        if ('error' in result) task.reject(errorOf(result.error));
        else task.resolve({ width: result.width, height: result.height, gray: result.gray });
      }
      pump();
    });
    // A worker that dies (out of memory, a bug) fails its task; the next task gets a fresh one.
    const gone = (err?: Error) => {
      slots.splice(slots.indexOf(slot), 1);
      slot.task?.reject(
        new InvalidInputError(
          `image could not be decoded: the BMP decoder stopped (${err?.message ?? 'exited'})`,
          'INVALID_IMAGE',
        ),
      );
      slot.task = undefined;
      pump();
    };
    slot.worker.once('error', gone);
    slot.worker.once('exit', () => slots.includes(slot) && gone());
    slots.push(slot);
    return slot;
  }

  function pump(): void {
    while (queue.length > 0) {
      const slot = slots.find((s) => !s.task) ?? (slots.length < threads ? spawn() : undefined);
      if (!slot) return;
      const task = queue.shift()!;
      slot.task = task;
      slot.worker.ref(); // a decode under way keeps the process alive until it answers
      // The worker must own what it is sent: the bytes themselves when the caller gives them up and
      // they are all of their buffer, else a copy (a view of a larger buffer, a pooled small one).
      const own = task.consume && task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength;
      const bytes = own && task.bytes.buffer instanceof ArrayBuffer ? task.bytes : Uint8Array.from(task.bytes);
      slot.worker.postMessage({ id: task.id, bytes, maxSide: task.maxSide } satisfies BmpTask, [
        bytes.buffer as ArrayBuffer,
      ]);
    }
  }

  return {
    decode(bytes, maxSide, consume) {
      if (queue.length >= maxQueued)
        return Promise.reject(
          new UnavailableError(`${queue.length} BMP images are waiting to be decoded; retry shortly`, 'DECODER_BUSY'),
        );
      return new Promise((resolve, reject) => {
        queue.push({ id: nextId++, bytes, maxSide, consume, resolve, reject });
        pump();
      });
    },
    async close() {
      for (const task of queue.splice(0))
        task.reject(new UnavailableError('the BMP decoder is shutting down', 'DECODER_BUSY'));
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
