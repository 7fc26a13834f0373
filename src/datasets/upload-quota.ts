import { PayloadTooLargeError, TooManyRequestsError } from '../errors.js';

/**
 * Who may upload how much. Uploads in flight are counted in this process (per API replica);
 * what an owner has stored is read from storage, which every replica shares, when the owner's
 * first upload starts, and this process then adds its own commits to that figure. So uploads
 * of one owner through one replica never jointly pass a quota; uploads through several replicas
 * at the same moment may, by at most what those were reserving.
 */

export interface UploadLimits {
  /** MAX_UPLOADS_IN_FLIGHT: uploads this process runs at once. */
  inFlight: number;
  /** MAX_UPLOADS_IN_FLIGHT_PER_KEY */
  inFlightPerOwner: number;
  /** MAX_DATASETS_PER_KEY: stored datasets plus uploads in flight. */
  datasetsPerOwner: number;
  /** MAX_DATASET_STORAGE_PER_KEY: bytes stored plus bytes reserved by uploads in flight. */
  bytesPerOwner: number;
}

export interface StoredUsage {
  datasets: number;
  bytes: number;
}

/** One upload's claim: a slot, and the bytes its files' headers declared so far. */
export interface UploadTicket {
  /** Reserves the bytes a file's header declares; throws a 413 past the owner's storage quota. */
  reserve(bytes: number, what: string): void;
  /** The dataset is stored: its bytes now count as stored. Releases the slot. */
  commit(): void;
  /** Gives back the slot and the reservation; safe to call more than once. */
  release(): void;
}

export interface UploadQuota {
  /** Takes a slot for `owner`; throws a 429 past the in-flight limits or the owner's dataset count. */
  enter(owner: string): Promise<UploadTicket>;
  /** A dataset of `owner` was deleted here: uploads still running for them count it no more. */
  removed(owner: string, bytes: number): void;
}

interface OwnerState {
  stored: Promise<StoredUsage> | undefined;
  /** Bytes and datasets this process committed since `stored` was read. */
  committed: StoredUsage;
  tickets: Set<{ reserved: number }>;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;

export function createUploadQuota(
  limits: UploadLimits,
  readUsage: (owner: string) => Promise<StoredUsage>,
): UploadQuota {
  const owners = new Map<string, OwnerState>();
  let running = 0;

  function reservedBy(state: OwnerState): number {
    let sum = 0;
    for (const t of state.tickets) sum += t.reserved;
    return sum;
  }

  return {
    async enter(owner) {
      if (running >= limits.inFlight) {
        throw new TooManyRequestsError(
          `${plural(running, 'dataset upload')} running on this server; at most ${fmt(limits.inFlight)} (MAX_UPLOADS_IN_FLIGHT); retry shortly`,
          'TOO_MANY_UPLOADS',
        );
      }
      let state = owners.get(owner);
      if (state && state.tickets.size >= limits.inFlightPerOwner) {
        throw new TooManyRequestsError(
          `you have ${plural(state.tickets.size, 'dataset upload')} running; at most ${fmt(limits.inFlightPerOwner)} (MAX_UPLOADS_IN_FLIGHT_PER_KEY); retry when one has finished`,
          'TOO_MANY_UPLOADS',
        );
      }
      if (!state) {
        state = { stored: undefined, committed: { datasets: 0, bytes: 0 }, tickets: new Set() };
        owners.set(owner, state);
      }
      // The slot is taken before the first await, so that concurrent requests see each other.
      const claim = { reserved: 0 };
      state.tickets.add(claim);
      running++;
      const own = state;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        running--;
        own.tickets.delete(claim);
        // The last upload of an owner ends: the next one reads storage again (deletes, other replicas).
        if (own.tickets.size === 0 && owners.get(owner) === own) owners.delete(owner);
      };
      let stored: StoredUsage;
      try {
        const pending = (own.stored ??= readUsage(owner));
        pending.catch(() => {
          if (own.stored === pending) own.stored = undefined;
        });
        stored = await pending;
      } catch (err) {
        release();
        throw err;
      }
      const datasets = stored.datasets + own.committed.datasets;
      const uploading = own.tickets.size; // this one included
      if (datasets + uploading > limits.datasetsPerOwner) {
        release();
        const others = uploading - 1;
        throw new TooManyRequestsError(
          `you have ${plural(datasets, 'dataset')} stored${others > 0 ? ` and ${fmt(others)} uploading` : ''}; ` +
            `at most ${fmt(limits.datasetsPerOwner)} (MAX_DATASETS_PER_KEY); delete one to upload another`,
          'DATASET_QUOTA_EXCEEDED',
        );
      }
      return {
        reserve(bytes, what) {
          const used = stored.bytes + own.committed.bytes + reservedBy(own);
          if (used + bytes > limits.bytesPerOwner) {
            throw new PayloadTooLargeError(
              `${what} declares ${fmt(bytes)} bytes; with the ${fmt(used)} bytes you store or are uploading that is ` +
                `${fmt(used + bytes)}, more than ${fmt(limits.bytesPerOwner)} (MAX_DATASET_STORAGE_PER_KEY)`,
              'DATASET_STORAGE_QUOTA_EXCEEDED',
            );
          }
          claim.reserved += bytes;
        },
        commit() {
          if (released) return;
          own.committed.datasets += 1;
          own.committed.bytes += claim.reserved;
          release();
        },
        release,
      };
    },

    removed(owner, bytes) {
      const state = owners.get(owner);
      if (!state) return; // the next upload reads storage afresh
      state.committed.datasets -= 1;
      state.committed.bytes -= bytes;
    },
  };
}
