import { describe, expect, it } from 'vitest';
import { prefixOf, serviceKeys } from '../../src/queue/keys.js';

// The names are stored data: a deployment upgraded in place must find its cancels, quotas and tombstones.
describe('serviceKeys', () => {
  it('builds the names every release has stored', () => {
    const k = serviceKeys('ty');
    expect([k.events, k.cancelChannel, k.cancel('j1'), k.queuedBy('key:a'), k.runningBy('ip:1.2.3.4')]).toEqual([
      'ty:training:events',
      'ty:training:cancel',
      'ty:training:cancel:j1',
      'ty:training:queued-by:key:a',
      'ty:training:running-by:ip:1.2.3.4',
    ]);
    expect([k.cancelled, k.cancelledIndex, k.idempotency('abc'), k.authFailures('::1')]).toEqual([
      'ty:training:cancelled',
      'ty:training:cancelled:index',
      'ty:idempotency:abc',
      'ty:auth-failures:::1',
    ]);
  });

  it("reads a queue's prefix, BullMQ's default when it has none", () => {
    expect(prefixOf({ opts: { prefix: 'ty' } })).toBe('ty');
    expect(prefixOf({ opts: {} })).toBe('bull');
  });
});

// Redis Cluster hashes the first `{…}` of a name: with a hash-tag prefix every key shares BullMQ's slot.
describe('serviceKeys under a hash-tag prefix', () => {
  it('puts the hash tag first in every name', () => {
    const k = serviceKeys('{ty}');
    const names = [
      k.events,
      k.cancelChannel,
      k.cancel('j'),
      k.queuedBy('o'),
      k.runningBy('o'),
      k.cancelled,
      k.cancelledIndex,
      k.idempotency('i'),
      k.tenantIdempotency('t', 'i'),
      k.tenantJobs('t'),
      k.tenants,
      k.tenantIndexBuilt,
      k.authFailures('::1'),
    ];
    for (const name of names) expect(name.indexOf('{')).toBe(0);
    for (const name of names) expect(name.slice(0, name.indexOf('}') + 1)).toBe('{ty}');
  });
});
