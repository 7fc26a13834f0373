import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';

/**
 * Where Redis is and how to reach it, read from the settings: one endpoint (`redis://`,
 * `rediss://`), a Sentinel-watched primary (`redis+sentinel://`) or a Cluster (`redis+cluster://`).
 * Parsed once, with every problem named, so that no process starts against half a topology.
 */
export interface RedisSettings {
  REDIS_URL: string;
  REDIS_USERNAME: string;
  REDIS_PASSWORD: string;
  REDIS_TLS_CA_FILE: string;
  REDIS_SENTINEL_USERNAME: string;
  REDIS_SENTINEL_PASSWORD: string;
  QUEUE_PREFIX: string;
}

export interface HostPort {
  host: string;
  port: number;
}

interface Common {
  /** TLS to every node, with this CA (PEM) when set, else the system's; host names are checked. */
  tls: { ca?: string } | undefined;
  username: string | undefined;
  password: string | undefined;
}

export type RedisTarget =
  | (Common & { kind: 'single'; host: string; port: number; db: number })
  | (Common & {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      db: number;
      sentinelUsername: string | undefined;
      sentinelPassword: string | undefined;
    })
  | (Common & { kind: 'cluster'; nodes: HostPort[] });

export class RedisSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const SCHEME = /^(rediss?|redis\+sentinel|rediss\+sentinel|redis\+cluster|rediss\+cluster):\/\/(.*)$/;
/** The first `{…}` of a key is what Redis Cluster hashes: every key of one queue must share it. */
export const HASH_TAG = /^[^{]*\{[^{}]+\}/;
const MAX_NODES = 32;

/** The parsed target, or a RedisSettingsError listing every problem, one line each. */
export function parseRedisTarget(s: RedisSettings): RedisTarget {
  const problems: string[] = [];
  const bad = (what: string) => problems.push(`REDIS_URL=${JSON.stringify(redactUrl(s.REDIS_URL))}: ${what}`);
  const m = SCHEME.exec(s.REDIS_URL);
  if (!m) {
    bad('must start with redis://, rediss://, redis+sentinel:// or redis+cluster://');
    throw new RedisSettingsError(problems);
  }
  const scheme = m[1]!;
  const rest = m[2]!;
  const tlsOn = scheme.startsWith('rediss');
  const kind = scheme.endsWith('sentinel') ? 'sentinel' : scheme.endsWith('cluster') ? 'cluster' : 'single';
  const at = rest.lastIndexOf('@', rest.indexOf('/') === -1 ? rest.length : rest.indexOf('/'));
  const userinfo = at === -1 ? '' : rest.slice(0, at);
  const afterAuth = at === -1 ? rest : rest.slice(at + 1);
  const slash = afterAuth.indexOf('/');
  const hostsPart = slash === -1 ? afterAuth : afterAuth.slice(0, slash);
  const path = slash === -1 ? '' : afterAuth.slice(slash + 1).split('?')[0]!;

  const [urlUser, urlPass] = splitUserinfo(userinfo, bad);
  const username = urlUser || s.REDIS_USERNAME || undefined;
  const password = urlPass || s.REDIS_PASSWORD || undefined;
  if (username && !password) problems.push('REDIS_USERNAME is set without a password (REDIS_PASSWORD or the URL)');

  const hosts =
    hostsPart === '' ? [] : hostsPart.split(',').map((h) => parseHostPort(h, kind === 'sentinel' ? 26379 : 6379, bad));
  if (hosts.length === 0) bad('names no host');
  if (kind === 'single' && hosts.length > 1)
    bad('names several hosts: use redis+sentinel:// or redis+cluster:// for those');
  if (hosts.length > MAX_NODES) bad(`names ${hosts.length} hosts; at most ${MAX_NODES}`);

  let ca: string | undefined;
  if (s.REDIS_TLS_CA_FILE) {
    if (!tlsOn) problems.push('REDIS_TLS_CA_FILE is set but REDIS_URL does not use TLS (rediss://)');
    ca = readCa(s.REDIS_TLS_CA_FILE, problems);
  }
  const tls = tlsOn ? (ca ? { ca } : {}) : undefined;
  if (kind !== 'sentinel' && (s.REDIS_SENTINEL_PASSWORD || s.REDIS_SENTINEL_USERNAME))
    problems.push('REDIS_SENTINEL_USERNAME/REDIS_SENTINEL_PASSWORD are set but REDIS_URL is not redis+sentinel://');

  const valid = hosts.filter((h): h is HostPort => h !== undefined);
  const common = { tls, username, password };
  let target: RedisTarget;
  if (kind === 'sentinel') {
    const [name = '', db = '0'] = path.split('/');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) bad('must end with the master name Sentinel watches, e.g. /mymaster');
    target = {
      ...common,
      kind,
      sentinels: valid,
      name,
      db: parseDb(db, bad),
      sentinelUsername: s.REDIS_SENTINEL_USERNAME || undefined,
      sentinelPassword: s.REDIS_SENTINEL_PASSWORD || undefined,
    };
  } else if (kind === 'cluster') {
    if (path !== '') bad('a cluster has no database number: nothing may follow the hosts');
    if (!HASH_TAG.test(s.QUEUE_PREFIX))
      problems.push(
        `QUEUE_PREFIX=${JSON.stringify(s.QUEUE_PREFIX)}: in cluster mode it must hold a hash tag such as {trainyard}, ` +
          "so that BullMQ's scripts and the service's own multi-key commands find their keys in one slot",
      );
    target = { ...common, kind, nodes: valid };
  } else {
    target = {
      ...common,
      kind,
      host: valid[0]?.host ?? '',
      port: valid[0]?.port ?? 6379,
      db: parseDb(path || '0', bad),
    };
  }
  if (problems.length > 0) throw new RedisSettingsError(problems);
  return target;
}

function splitUserinfo(userinfo: string, bad: (what: string) => void): [string, string] {
  if (userinfo === '') return ['', ''];
  const colon = userinfo.indexOf(':');
  try {
    return colon === -1
      ? ['', decodeURIComponent(userinfo)] // redis://secret@host: a password alone, as redis-cli reads it
      : [decodeURIComponent(userinfo.slice(0, colon)), decodeURIComponent(userinfo.slice(colon + 1))];
  } catch {
    bad('its user or password is not valid percent-encoding');
    return ['', ''];
  }
}

function parseHostPort(text: string, defaultPort: number, bad: (what: string) => void): HostPort | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || port < 1 || port > 65535) {
    bad(`${JSON.stringify(text)} is not host:port`);
    return undefined;
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function parseDb(text: string, bad: (what: string) => void): number {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  bad(`${JSON.stringify(text)} is not a database number (0–99)`);
  return 0;
}

function readCa(file: string, problems: string[]): string | undefined {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`REDIS_TLS_CA_FILE=${JSON.stringify(file)}: cannot be read (${(err as NodeJS.ErrnoException).code})`);
    return undefined;
  }
  try {
    new X509Certificate(pem);
  } catch {
    problems.push(`REDIS_TLS_CA_FILE=${JSON.stringify(file)}: holds no PEM certificate`);
    return undefined;
  }
  return pem;
}

/** The topology as a log line may show it: hosts, master name, user, never a password. */
export function describeTarget(t: RedisTarget): Record<string, unknown> {
  const hp = (h: HostPort) => `${h.host}:${h.port}`;
  const base = { tls: t.tls !== undefined, user: t.username ?? null };
  if (t.kind === 'single') return { mode: 'single', endpoint: hp(t), db: t.db, ...base };
  if (t.kind === 'sentinel')
    return { mode: 'sentinel', master: t.name, sentinels: t.sentinels.map(hp), db: t.db, ...base };
  return { mode: 'cluster', nodes: t.nodes.map(hp), ...base };
}

export function redactUrl(url: string): string {
  // The credentials run to the last `@` of the authority (a password may hold `@` or `/`),
  // as the parser reads them: everything before it is masked.
  const start = url.indexOf('//');
  if (start < 0) return url;
  const at = url.lastIndexOf('@');
  return at > start ? `${url.slice(0, start + 2)}***${url.slice(at)}` : url;
}
