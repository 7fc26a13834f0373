import type { RedisClient as Redis } from '../queue/redis.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { serviceKeys } from '../queue/keys.js';
import {
  LATEST,
  type AliasMove,
  type Lineage,
  type ModelVersion,
  type RegisteredModel,
  type Tags,
} from '../schemas/registry.js';
import type { ModelMetrics } from '../schemas/model.js';
import { DELETE_VERSION, MOVE_ALIAS, REGISTER, SET_NOTES } from './scripts.js';

/** What a completed job registers: the stored model (its id) and where it came from. */
export interface VersionInput {
  id: string;
  createdAt: string;
  metrics: ModelMetrics;
  lineage: Lineage;
}

export interface Notes {
  description?: string;
  tags?: Tags;
}

/** What a prediction needs to resolve a name: the newest version and the aliases. */
export interface Heads {
  latest: number;
  aliases: Record<string, number>;
}

export interface ModelRegistry {
  /** Adds the next version of `name` (created on first use); a job registering again gets its first version. */
  register(tenant: string, name: string, input: VersionInput): Promise<number>;
  models(tenant: string): Promise<RegisteredModel[]>;
  model(tenant: string, name: string): Promise<RegisteredModel>;
  /** Newest first, at most `limit`. */
  versions(tenant: string, name: string, limit?: number): Promise<ModelVersion[]>;
  version(tenant: string, name: string, version: number): Promise<ModelVersion>;
  heads(tenant: string, name: string): Promise<Heads | undefined>;
  /** The newest version alone (0: none left), or undefined when there is no such model: one read. */
  latestOf(tenant: string, name: string): Promise<number | undefined>;
  /** Moves (or with `version` null removes) an alias; `expected` makes it a compare-and-set. */
  moveAlias(
    tenant: string,
    name: string,
    alias: string,
    version: number | null,
    opts: { expected?: number | null; by: string },
  ): Promise<{ from: number | null }>;
  history(tenant: string, name: string): Promise<AliasMove[]>;
  /** Removes a version no alias points at; returns its model id. */
  deleteVersion(tenant: string, name: string, version: number): Promise<string>;
  /** Removes a model with its versions, aliases and history; returns the versions' model ids. */
  deleteModel(tenant: string, name: string): Promise<string[]>;
  setNotes(tenant: string, name: string, version: number | undefined, notes: Notes): Promise<void>;
  /** The name and version a stored model id was registered as. */
  versionOfId(tenant: string, id: string): Promise<{ name: string; version: number } | undefined>;
}

/** Alias moves kept per model: plenty for rolling back, bounded for a script that moves in a loop. */
const HISTORY_MAX = 1000;

interface StoredVersion {
  id: string;
  createdAt: string;
  metrics: ModelMetrics;
  lineage: Lineage;
}

/**
 * The model registry in Redis: names, versions, aliases and history, one key family per model
 * (serviceKeys().registryModel), changed only by the scripts of scripts.ts. Every change is
 * published on `registryChanges`, so API replicas drop what they cached of that model at once.
 */
export function createModelRegistry(redis: Redis, prefix: string): ModelRegistry {
  const keys = serviceKeys(prefix);
  const family = (tenant: string, name: string) => {
    const k = keys.registryModel(tenant, name);
    return [k.meta, k.versions, k.aliases, k.history, k.jobs];
  };
  const run = (script: string, tenant: string, name: string, ...args: (string | number)[]) =>
    redis.eval(script, 5, ...family(tenant, name), ...args);
  const publish = (tenant: string, name: string) => redis.publish(keys.registryChanges, `${tenant}/${name}`);
  const notFound = (name: string) => new NotFoundError(`model "${name}" not found`, 'MODEL_NOT_FOUND');
  const noVersion = (name: string, version: number) =>
    new NotFoundError(`model "${name}" has no version ${version}`, 'MODEL_VERSION_NOT_FOUND');

  async function heads(tenant: string, name: string): Promise<Heads | undefined> {
    const k = keys.registryModel(tenant, name);
    const [latest, aliases] = await Promise.all([redis.hget(k.meta, 'latest'), redis.hgetall(k.aliases)]);
    if (latest === null) return undefined;
    return { latest: Number(latest), aliases: numbers(aliases) };
  }

  function aliasesOf(h: Heads): Record<string, number> {
    return h.latest > 0 ? { ...h.aliases, [LATEST]: h.latest } : { ...h.aliases };
  }

  async function model(tenant: string, name: string): Promise<RegisteredModel> {
    const k = keys.registryModel(tenant, name);
    const [meta, h] = await Promise.all([redis.hgetall(k.meta), heads(tenant, name)]);
    if (!meta.createdAt || !h) throw notFound(name);
    return {
      name,
      createdAt: meta.createdAt,
      description: meta.description ?? '',
      tags: JSON.parse(meta.tags ?? '{}') as Tags,
      latestVersion: h.latest,
      aliases: aliasesOf(h),
    };
  }

  function toVersion(name: string, n: number, raw: string, notes: string | undefined, h: Heads): ModelVersion {
    const stored = JSON.parse(raw) as StoredVersion;
    const parsedNotes = notes ? (JSON.parse(notes) as Notes) : {};
    const aliases = Object.entries(aliasesOf(h))
      .filter(([, v]) => v === n)
      .map(([a]) => a)
      .sort();
    return {
      name,
      version: n,
      id: stored.id,
      createdAt: stored.createdAt,
      description: parsedNotes.description ?? '',
      tags: parsedNotes.tags ?? {},
      aliases,
      metrics: stored.metrics,
      lineage: stored.lineage,
    };
  }

  return {
    async register(tenant, name, input) {
      const record: StoredVersion = { ...input };
      const n = Number(await run(REGISTER, tenant, name, input.lineage.jobId, JSON.stringify(record), input.createdAt));
      await redis
        .multi()
        .zadd(keys.registryModels(tenant), 'NX', Date.parse(input.createdAt), name)
        .hset(keys.registryIds(tenant), input.id, `${name}/${n}`)
        .exec();
      await publish(tenant, name);
      return n;
    },

    async models(tenant) {
      const names = await redis.zrevrange(keys.registryModels(tenant), 0, -1);
      const found = await Promise.all(names.map((n) => model(tenant, n).catch(() => undefined)));
      return found.filter((m): m is RegisteredModel => m !== undefined);
    },

    model,

    async versions(tenant, name, limit = Number.MAX_SAFE_INTEGER) {
      const k = keys.registryModel(tenant, name);
      const [fields, h] = await Promise.all([redis.hkeys(k.versions), heads(tenant, name)]);
      if (!h) throw notFound(name);
      // The numbers first (small), then only the records listed: a long history costs no more.
      const numbers = fields
        .filter((f) => /^\d+$/.test(f))
        .map(Number)
        .sort((a, b) => b - a)
        .slice(0, limit);
      if (numbers.length === 0) return [];
      const raw = await redis.hmget(k.versions, ...numbers.flatMap((n) => [String(n), `${n}:notes`]));
      return numbers.flatMap((n, i) => {
        const record = raw[2 * i];
        return record ? [toVersion(name, n, record, raw[2 * i + 1] ?? undefined, h)] : []; // deleted meanwhile
      });
    },

    async version(tenant, name, n) {
      const k = keys.registryModel(tenant, name);
      const [[raw, notes], h] = await Promise.all([
        redis.hmget(k.versions, String(n), `${n}:notes`),
        heads(tenant, name),
      ]);
      if (!h) throw notFound(name);
      if (!raw) throw noVersion(name, n);
      return toVersion(name, n, raw, notes ?? undefined, h);
    },

    heads,

    async latestOf(tenant, name) {
      const latest = await redis.hget(keys.registryModel(tenant, name).meta, 'latest');
      return latest === null ? undefined : Number(latest);
    },

    async moveAlias(tenant, name, alias, version, { expected, by }) {
      const want = expected === undefined ? '*' : expected === null ? '-' : String(expected);
      const [outcome, current] = (await run(
        MOVE_ALIAS,
        tenant,
        name,
        alias,
        version === null ? '' : String(version),
        want,
        new Date().toISOString(),
        JSON.stringify(by),
        HISTORY_MAX,
      )) as [string, string | undefined];
      if (outcome === 'nomodel') throw notFound(name);
      if (outcome === 'noversion') throw noVersion(name, version!);
      if (outcome === 'noalias') throw new NotFoundError(`model "${name}" has no alias "${alias}"`, 'ALIAS_NOT_FOUND');
      if (outcome === 'conflict') {
        const held = current ? `version ${current}` : 'no version';
        throw new ConflictError(
          `alias "${alias}" of model "${name}" holds ${held}, not the expected ${expected ?? 'none'}: another move won`,
          'ALIAS_CONFLICT',
        );
      }
      await publish(tenant, name);
      return { from: current ? Number(current) : null };
    },

    async history(tenant, name) {
      await model(tenant, name);
      const entries = await redis.lrange(keys.registryModel(tenant, name).history, 0, -1);
      return entries.map((e) => JSON.parse(e) as AliasMove).reverse();
    },

    async deleteVersion(tenant, name, n) {
      const { id } = await this.version(tenant, name, n);
      const [outcome, ...held] = (await run(DELETE_VERSION, tenant, name, String(n))) as string[];
      if (outcome === 'noversion') throw noVersion(name, n);
      if (outcome === 'aliased') {
        throw new ConflictError(
          `version ${n} of model "${name}" is held by alias ${held.map((a) => `"${a}"`).join(', ')}: move or remove it first`,
          'VERSION_ALIASED',
        );
      }
      await redis.hdel(keys.registryIds(tenant), id);
      await publish(tenant, name);
      return id;
    },

    async deleteModel(tenant, name) {
      const ids = (await this.versions(tenant, name)).map((v) => v.id);
      await redis.del(...family(tenant, name));
      await redis
        .multi()
        .zrem(keys.registryModels(tenant), name)
        .hdel(keys.registryIds(tenant), ...(ids.length ? ids : ['-']))
        .exec();
      await publish(tenant, name);
      return ids;
    },

    async setNotes(tenant, name, n, notes) {
      const k = keys.registryModel(tenant, name);
      if (n === undefined) {
        await model(tenant, name);
        const fields: string[] = [];
        if (notes.description !== undefined) fields.push('description', notes.description);
        if (notes.tags !== undefined) fields.push('tags', JSON.stringify(notes.tags));
        await redis.hset(k.meta, ...fields);
        return;
      }
      const current = await this.version(tenant, name, n);
      const merged: Notes = { description: notes.description ?? current.description, tags: notes.tags ?? current.tags };
      if (Number(await run(SET_NOTES, tenant, name, String(n), JSON.stringify(merged))) === 0) throw noVersion(name, n);
    },

    async versionOfId(tenant, id) {
      const found = await redis.hget(keys.registryIds(tenant), id);
      if (!found) return undefined;
      const slash = found.lastIndexOf('/');
      return { name: found.slice(0, slash), version: Number(found.slice(slash + 1)) };
    },
  };
}

const numbers = (record: Record<string, string>): Record<string, number> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Number(v)]));
