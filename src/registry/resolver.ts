import type { RedisClient as Redis } from '../queue/redis.js';
import { NotFoundError } from '../errors.js';
import { serviceKeys } from '../queue/keys.js';
import { LATEST, PRODUCTION } from '../schemas/registry.js';
import type { Heads, ModelRegistry } from './registry.js';
import { freshReads } from './fresh-reads.js';

/** A name resolved to one stored model: the version it is, and the alias it was reached through. */
export interface Resolved {
  id: string;
  name: string;
  version: number;
  alias: string | null;
}

export interface ModelResolver {
  /**
   * `name` at a version, an alias, or by default `production` when it exists, else `latest`.
   * NotFoundError when the model, version or alias does not exist.
   */
  resolve(tenant: string, name: string, pick?: { alias?: string; version?: number }): Promise<Resolved>;
  /** The tenant's model names, newest first, at most `limit` (for `/v1/predict` without a model). */
  names(tenant: string, limit: number): Promise<string[]>;
  /** Forgets what is cached of a model: this replica's own change is seen at once. */
  drop(tenant: string, name: string): void;
  close(): void;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

/**
 * Per API replica, the registry's aliases and version ids, cached and dropped the moment any
 * replica or worker publishes a change of that model: an alias move is seen everywhere within
 * the pub/sub delivery time. What a completed job changes (a model's newest version, a tenant's
 * names) is read on every resolution, one small read, so a version is served the moment its job
 * reports completed, before any message arrives; when it differs from the cache, the model is read
 * again. After a subscriber reconnect (messages may have been missed) everything is dropped; an
 * entry older than `maxAgeMs` is read again, and while Redis cannot answer the last one read is used.
 */
export function createModelResolver(opts: {
  registry: Pick<ModelRegistry, 'heads' | 'version' | 'latestOf'>;
  redis: Redis;
  subscriber: Redis;
  prefix: string;
  maxAgeMs?: number;
}): ModelResolver {
  const { registry, redis, subscriber, maxAgeMs = 5000 } = opts;
  const keys = serviceKeys(opts.prefix);
  const heads = new Map<string, Cached<Heads | undefined>>();
  const ids = new Map<string, string>();
  const names = new Map<string, string[]>();
  const MAX_ENTRIES = 10_000;
  // Read on every resolution, but one round trip serves all the requests that queued for it.
  const latestOf = freshReads((key) => {
    const slash = key.indexOf('/');
    return registry.latestOf(key.slice(0, slash), key.slice(slash + 1));
  });
  const namesOf = freshReads((key) => {
    const [tenant, limit] = key.split('\n') as [string, string];
    return redis.zrevrange(keys.registryModels(tenant), 0, Number(limit) - 1);
  });

  const dropModel = (tenant: string, name: string) => {
    const key = `${tenant}/${name}`;
    heads.delete(key);
    for (const k of ids.keys()) if (k.startsWith(`${key}/`)) ids.delete(k);
  };
  const dropAll = () => {
    heads.clear();
    ids.clear();
    names.clear();
  };
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== keys.registryChanges) return;
    const slash = message.indexOf('/');
    if (slash > 0) dropModel(message.slice(0, slash), message.slice(slash + 1));
  });
  subscriber.on('ready', dropAll);
  void subscriber.subscribe(keys.registryChanges).catch(() => {}); // resubscribed on reconnect by ioredis

  /** A fresh value when the cached one is too old; the stale one when reading fails. */
  async function cached<T>(map: Map<string, Cached<T>>, key: string, read: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit && performance.now() - hit.at < maxAgeMs) return hit.value;
    if (map.size >= MAX_ENTRIES) map.clear();
    const value = read();
    const entry = { at: performance.now(), value };
    map.set(key, entry);
    try {
      return await value;
    } catch (err) {
      if (map.get(key) === entry) map.delete(key);
      if (hit) {
        map.set(key, hit);
        return hit.value;
      }
      throw err;
    }
  }

  const notFound = (message: string, code: string) => new NotFoundError(message, code);

  return {
    async resolve(tenant, name, pick = {}) {
      const key = `${tenant}/${name}`;
      // Undefined when Redis cannot answer: the cached heads stand.
      const latest = await latestOf(key).then(
        (n) => n ?? 0,
        () => undefined,
      );
      if (latest !== undefined) {
        const had = await heads.get(key)?.value.catch(() => undefined);
        if ((had?.latest ?? 0) !== latest) dropModel(tenant, name);
      }
      const h = await cached(heads, key, () => registry.heads(tenant, name));
      if (!h || h.latest === 0) throw notFound(`model "${name}" not found`, 'MODEL_NOT_FOUND');
      let version: number;
      let alias: string | null = null;
      if (pick.version !== undefined) version = pick.version;
      else {
        alias = pick.alias ?? (h.aliases[PRODUCTION] !== undefined ? PRODUCTION : LATEST);
        const held = alias === LATEST ? h.latest : h.aliases[alias];
        if (held === undefined) throw notFound(`model "${name}" has no alias "${alias}"`, 'ALIAS_NOT_FOUND');
        version = held;
      }
      const idKey = `${tenant}/${name}/${version}`;
      let id = ids.get(idKey);
      if (id === undefined) {
        id = (await registry.version(tenant, name, version)).id;
        if (ids.size >= MAX_ENTRIES) ids.clear();
        ids.set(idKey, id);
      }
      return { id, name, version, alias };
    },

    // Read every time (a completed job may have added one); while Redis cannot answer, the last
    // list that named models ("none yet" from before an outage would be a wrong 409).
    async names(tenant, limit) {
      try {
        const found = await namesOf(`${tenant}\n${limit}`);
        if (names.size >= MAX_ENTRIES) names.clear();
        names.set(tenant, found);
        return found;
      } catch (err) {
        const last = names.get(tenant);
        if (last?.length) return last;
        throw err;
      }
    },

    drop: dropModel,

    close() {
      subscriber.disconnect();
    },
  };
}
