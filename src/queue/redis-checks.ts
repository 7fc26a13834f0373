import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis.js';

/**
 * What start-up checks on the Redis it reached. BullMQ keeps jobs in keys without expiry: a Redis
 * that evicts under memory pressure drops jobs silently, so anything but `noeviction` is named.
 */
export interface EvictionReport {
  /** `host:port` of each primary whose policy is not noeviction, with that policy. */
  evicting: { node: string; policy: string }[];
  /** Primaries that would not say (INFO refused by an ACL or a provider). */
  unknown: string[];
}

export async function checkEvictionPolicy(client: RedisClient): Promise<EvictionReport> {
  const primaries: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  const report: EvictionReport = { evicting: [], unknown: [] };
  for (const node of primaries) {
    const name = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
    let info: string;
    try {
      info = await node.info('memory');
    } catch {
      report.unknown.push(name);
      continue;
    }
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    if (policy === undefined) report.unknown.push(name);
    else if (policy !== 'noeviction') report.evicting.push({ node: name, policy });
  }
  return report;
}
