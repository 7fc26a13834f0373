import { UnavailableError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../training/checkpoint.js';
import { RESOURCE_ID } from '../schemas/common.js';
import type { ObjectStorage } from '../storage/types.js';
import { tenantViews } from '../storage/prefixed.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';

export interface CheckpointStore {
  save(jobId: string, checkpoint: Checkpoint): Promise<void>;
  /** The job's last checkpoint, or undefined when there is none or it cannot be read; throws while storage is unavailable. */
  load(jobId: string): Promise<Checkpoint | undefined>;
  remove(jobId: string): Promise<void>;
  /** A tenant's checkpoints, under its storage prefix (the default tenant's at the root, as before tenants). */
  forTenant(tenant: string): CheckpointStore;
}

/**
 * Per-job checkpoints at `checkpoints/{jobId}.ckpt` in the storage every worker shares, so
 * whichever worker takes a job over finds it. Each save replaces the object whole (a rename
 * on disk, a single PUT on S3), so a crash mid-write leaves the previous checkpoint intact.
 */
export function createCheckpointStore({ storage: root }: { storage: ObjectStorage }): CheckpointStore {
  return tenantViews<CheckpointStore>(root, (storage, _tenant, forTenant) => tenantCheckpoints(storage, forTenant))(
    DEFAULT_TENANT,
  );
}

function tenantCheckpoints(storage: ObjectStorage, forTenant: (tenant: string) => CheckpointStore): CheckpointStore {
  const key = (jobId: string) => {
    if (!RESOURCE_ID.test(jobId)) throw new Error(`invalid job id for a checkpoint: ${jobId}`);
    return `checkpoints/${jobId}.ckpt`;
  };
  return {
    async save(jobId, checkpoint) {
      await storage.put(key(jobId), encodeCheckpoint(checkpoint));
    },
    async load(jobId) {
      try {
        const bytes = await storage.get(key(jobId));
        return bytes && decodeCheckpoint(bytes);
      } catch (err) {
        // Storage that is down may still hold the checkpoint: the job is retried later rather
        // than started over.
        if (err instanceof UnavailableError) throw err;
        return undefined;
      }
    },
    async remove(jobId) {
      await storage.delete(key(jobId));
    },
    forTenant,
  };
}
