import { describe, expect, it } from 'vitest';
import { createUploadQuota, type StoredUsage, type UploadLimits } from '../../src/datasets/upload-quota.js';

const limits: UploadLimits = { inFlight: 3, inFlightPerOwner: 2, datasetsPerOwner: 3, bytesPerOwner: 1000 };

/** A quota over a fake storage reading (the store's real reading is tested through the store). */
function quota(stored: Record<string, StoredUsage> = {}, overrides: Partial<UploadLimits> = {}) {
  const reads: string[] = [];
  const q = createUploadQuota({ ...limits, ...overrides }, async (owner) => {
    reads.push(owner);
    return stored[owner] ?? { datasets: 0, bytes: 0 };
  });
  return { q, reads };
}

describe('upload quota', () => {
  it('bounds uploads in flight per owner and in total, and frees slots on release', async () => {
    const { q } = quota();
    const a1 = await q.enter('a');
    const a2 = await q.enter('a');
    await expect(q.enter('a')).rejects.toMatchObject({
      statusCode: 429,
      code: 'TOO_MANY_UPLOADS',
      message:
        'you have 2 dataset uploads running; at most 2 (MAX_UPLOADS_IN_FLIGHT_PER_KEY); retry when one has finished',
    });
    const b1 = await q.enter('b');
    await expect(q.enter('c')).rejects.toMatchObject({
      statusCode: 429,
      code: 'TOO_MANY_UPLOADS',
      message: '3 dataset uploads running on this server; at most 3 (MAX_UPLOADS_IN_FLIGHT); retry shortly',
    });
    a1.release();
    a1.release(); // twice frees one slot only
    const c1 = await q.enter('c');
    await expect(q.enter('d')).rejects.toMatchObject({ code: 'TOO_MANY_UPLOADS' });
    for (const t of [a2, b1, c1]) t.release();
    expect(await q.enter('d')).toBeDefined();
  });

  it('counts stored datasets and uploads in flight against MAX_DATASETS_PER_KEY', async () => {
    const { q } = quota({ a: { datasets: 2, bytes: 0 } });
    const first = await q.enter('a');
    await expect(q.enter('a')).rejects.toMatchObject({
      statusCode: 429,
      code: 'DATASET_QUOTA_EXCEEDED',
      message:
        'you have 2 datasets stored and 1 uploading; at most 3 (MAX_DATASETS_PER_KEY); delete one to upload another',
    });
    first.commit();
    await expect(q.enter('a')).resolves.toBeDefined();
  });

  it('never lets concurrent uploads of one owner jointly pass the storage quota', async () => {
    const { q } = quota({ a: { datasets: 0, bytes: 300 } });
    const [one, two] = await Promise.all([q.enter('a'), q.enter('a')]);
    one.reserve(400, 'trainImages');
    expect(() => two.reserve(301, 'testImages')).toThrow(
      'testImages declares 301 bytes; with the 700 bytes you store or are uploading that is 1,001, more than 1,000 (MAX_DATASET_STORAGE_PER_KEY)',
    );
    two.reserve(300, 'testImages');
    // Released reservations count no more; committed ones count as stored (here while another
    // upload keeps the owner's figures; once none runs, storage is read again).
    two.release();
    const three = await q.enter('a');
    one.commit();
    expect(() => three.reserve(301, 'x')).toThrow(/with the 700 bytes/);
    three.reserve(300, 'x');
  });

  it("reads an owner's stored usage once while uploads overlap, and again after", async () => {
    const { q, reads } = quota();
    const a = await q.enter('a');
    const b = await q.enter('a');
    expect(reads).toEqual(['a']);
    a.release();
    b.release();
    (await q.enter('a')).release();
    expect(reads).toEqual(['a', 'a']);
  });

  it('frees the slot when storage cannot be read', async () => {
    let fail = true;
    const q = createUploadQuota({ ...limits, inFlight: 1 }, async () => {
      if (fail) throw new Error('storage down');
      return { datasets: 0, bytes: 0 };
    });
    await expect(q.enter('a')).rejects.toThrow('storage down');
    fail = false;
    await expect(q.enter('a')).resolves.toBeDefined();
  });
});
