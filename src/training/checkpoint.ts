import type { EpochRecord } from '../schemas/job.js';
import type { OptimizerState } from './optimizers.js';

/**
 * Everything needed to continue a training run after its last finished epoch, as if it had
 * never stopped: weights, optimizer moments, the shuffled order and the PRNG state.
 */
export interface Checkpoint {
  /** Identifies the run (parameters, dataset size): a checkpoint of another run is ignored. */
  runKey: string;
  epoch: number;
  history: EpochRecord[];
  rngState: number;
  values: Float32Array;
  optimizer: OptimizerState;
  order: Uint32Array;
}

/** One file: a JSON header, then the arrays' bytes in a fixed order. */
export function encodeCheckpoint(c: Checkpoint): Buffer {
  const arrays = [c.values, ...c.optimizer.buffers, c.order];
  const header = Buffer.from(
    JSON.stringify({
      runKey: c.runKey,
      epoch: c.epoch,
      history: c.history,
      rngState: c.rngState,
      step: c.optimizer.step,
      lengths: arrays.map((a) => a.length),
    }),
  );
  const size = Buffer.alloc(4);
  size.writeUInt32LE(header.length);
  return Buffer.concat([size, header, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
}

export function decodeCheckpoint(buf: Buffer): Checkpoint {
  const headerLength = buf.readUInt32LE(0);
  const header = JSON.parse(buf.toString('utf8', 4, 4 + headerLength)) as {
    runKey: string;
    epoch: number;
    history: EpochRecord[];
    rngState: number;
    step: number;
    lengths: number[];
  };
  let offset = 4 + headerLength;
  const arrays = header.lengths.map((n, i) => {
    const bytes = buf.subarray(offset, offset + n * 4);
    offset += n * 4;
    if (bytes.length !== n * 4) throw new Error('checkpoint is truncated');
    const copy = new Uint8Array(bytes).buffer; // aligned copy
    return i === header.lengths.length - 1 ? new Uint32Array(copy) : new Float32Array(copy);
  });
  return {
    runKey: header.runKey,
    epoch: header.epoch,
    history: header.history,
    rngState: header.rngState,
    values: arrays[0] as Float32Array,
    optimizer: { step: header.step, buffers: arrays.slice(1, -1) as Float32Array[] },
    order: arrays.at(-1) as Uint32Array,
  };
}
