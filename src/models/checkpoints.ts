import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../training/checkpoint.js';
import { RESOURCE_ID } from '../schemas/common.js';

export interface CheckpointStore {
  save(jobId: string, checkpoint: Checkpoint): Promise<void>;
  /** The job's last checkpoint, or undefined when there is none or it cannot be read. */
  load(jobId: string): Promise<Checkpoint | undefined>;
  remove(jobId: string): Promise<void>;
}

/**
 * Per-job checkpoints in `dir/checkpoints/{jobId}.ckpt`, on the storage every worker shares,
 * so whichever worker takes a job over finds it. Written to a temporary file and renamed, so
 * a crash mid-write leaves the previous checkpoint intact.
 */
export function createCheckpointStore({ dir }: { dir: string }): CheckpointStore {
  const root = join(dir, 'checkpoints');
  const file = (jobId: string) => {
    if (!RESOURCE_ID.test(jobId)) throw new Error(`invalid job id for a checkpoint: ${jobId}`);
    return join(root, `${jobId}.ckpt`);
  };
  return {
    async save(jobId, checkpoint) {
      await mkdir(root, { recursive: true });
      const tmp = join(root, `.tmp-${jobId}-${randomBytes(4).toString('hex')}`);
      await writeFile(tmp, encodeCheckpoint(checkpoint));
      await rename(tmp, file(jobId));
    },
    async load(jobId) {
      try {
        return decodeCheckpoint(await readFile(file(jobId)));
      } catch {
        return undefined;
      }
    },
    async remove(jobId) {
      await rm(file(jobId), { force: true });
    },
  };
}
