import { isIP } from 'node:net';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisTarget, redactUrl, type RedisSettings, type RedisTarget } from './redis-target.js';

export { describeTarget, parseRedisTarget, redactUrl, type RedisSettings, type RedisTarget } from './redis-target.js';

/** A client of any topology: one endpoint and Sentinel give a Redis, a cluster a Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Connections for each side. Workers block on Redis and must wait through outages
 * (maxRetriesPerRequest: null, as BullMQ requires); the API must fail fast so that a request
 * answers 503 instead of hanging while Redis is away (no offline queue, one retry). A Redis
 * that keeps the connection open but stops answering (paused, partitioned) sends no error at
 * all: only the command timeout turns that into a 503 rather than a request that never ends.
 * `events` blocks on XREAD for the API; `probe` is one attempt, for start-up checks.
 */
export const API_COMMAND_TIMEOUT_MS = 500;
export type RedisRole = 'api' | 'worker' | 'events' | 'probe';

const retry = (times: number) => Math.min(times * 200, 2000);

function roleOptions(role: RedisRole, probeTimeoutMs: number): RedisOptions {
  const name = { connectionName: `trainyard-${role === 'events' ? 'api-events' : role}` };
  switch (role) {
    case 'worker':
      return { ...name, retryStrategy: retry, maxRetriesPerRequest: null };
    case 'events':
      return { ...name, retryStrategy: retry, maxRetriesPerRequest: null, lazyConnect: true };
    case 'api':
      return {
        ...name,
        retryStrategy: retry,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: 5000,
        commandTimeout: API_COMMAND_TIMEOUT_MS,
      };
    case 'probe':
      return {
        ...name,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        connectTimeout: probeTimeoutMs,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      };
  }
}

/** The one factory of Redis clients: API, worker, training children, events reader, start-up checks. */
export function createRedis(
  settings: RedisSettings | RedisTarget,
  role: RedisRole,
  probeTimeoutMs = 3000,
): RedisClient {
  const t = 'kind' in settings ? settings : parseRedisTarget(settings);
  const opts = roleOptions(role, probeTimeoutMs);
  const auth = { username: t.username, password: t.password };
  if (t.kind === 'cluster') {
    const { retryStrategy, enableOfflineQueue, lazyConnect, ...nodeOpts } = opts;
    const clusterOpts: ClusterOptions = {
      redisOptions: { ...nodeOpts, ...auth, ...(t.tls ? { tls: t.tls } : {}) },
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue,
      lazyConnect,
      // A primary lost: its replica takes the slots over within the node timeout; retry meanwhile.
      // The API gives up within seconds (a 503 the client retries); a worker holding a job keeps
      // trying for about a minute, past managed clusters' 15 s node timeout, rather than lose its lock.
      retryDelayOnFailover: role === 'worker' ? 1000 : 200,
      maxRedirections: role === 'worker' ? 60 : 16,
      retryDelayOnClusterDown: 200,
      slotsRefreshTimeout: Math.min(probeTimeoutMs, 2000),
      // With TLS, connect by the names given, not the addresses they resolve to: certificates
      // name hosts (ioredis' advice for managed clusters such as ElastiCache).
      ...(t.tls
        ? { dnsLookup: (address: string, done: (err: null, address: string) => void) => done(null, address) }
        : {}),
    };
    return new Cluster(t.nodes, clusterOpts);
  }
  // The name sent (SNI) and checked against the certificate is the host's; an IP is checked as such.
  const tls = t.tls
    ? { tls: { ...t.tls, ...(t.kind === 'single' && !isIP(t.host) ? { servername: t.host } : {}) } }
    : {};
  if (t.kind === 'sentinel') {
    return new Redis({
      ...opts,
      ...auth,
      ...tls,
      sentinels: t.sentinels,
      name: t.name,
      db: t.db,
      sentinelUsername: t.sentinelUsername,
      sentinelPassword: t.sentinelPassword,
      enableTLSForSentinelMode: t.tls !== undefined,
      ...(t.tls ? { sentinelTLS: t.tls } : {}),
      // Not ioredis' failoverDetector: its disconnect on +switch-master can land while the client
      // is asking the sentinels, which ends the client for good. Sentinel closes the old primary's
      // clients when it demotes it, and a READONLY reply reconnects too (below).
      reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
      sentinelRetryStrategy: retry,
      sentinelCommandTimeout: 1000,
    });
  }
  return new Redis({ ...opts, ...auth, ...tls, host: t.host, port: t.port, db: t.db });
}

/** Resolves once the connection is up (the API's client queues nothing while it is not). */
export function whenReady(client: RedisClient, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A settings object for a plain URL, as the tests and tools that only know an endpoint use. */
export const urlSettings = (url: string): RedisSettings => ({
  REDIS_URL: url,
  REDIS_USERNAME: '',
  REDIS_PASSWORD: '',
  REDIS_TLS_CA_FILE: '',
  REDIS_SENTINEL_USERNAME: '',
  REDIS_SENTINEL_PASSWORD: '',
  QUEUE_PREFIX: '{trainyard}',
});

/**
 * Connects once with a deadline and runs `use` (a PING by default): start-up says clearly
 * that Redis is missing, or refuses the credentials, instead of retrying in silence.
 */
export async function withProbe<T>(
  settings: RedisSettings | RedisTarget | string,
  use: (client: RedisClient) => Promise<T>,
  timeoutMs = 3000,
): Promise<T> {
  const s = typeof settings === 'string' ? urlSettings(settings) : settings;
  const client = createRedis(s, 'probe', timeoutMs);
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  try {
    const connected = client.connect();
    // A cluster's connect() resolves on 'ready' only; give up at the deadline with its last error.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([connected, deadline]);
    } finally {
      clearTimeout(timer);
    }
    return await use(client);
  } catch (err) {
    // ioredis reports a refused AUTH as the connect's error only sometimes; the event has it.
    throw lastError && !(err instanceof Error && REFUSAL.test(err.message)) ? lastError : err;
  } finally {
    client.disconnect();
  }
}

/** One PING with a deadline. */
export const pingRedis = (settings: RedisSettings | RedisTarget | string, timeoutMs = 3000): Promise<void> =>
  withProbe(settings, async (c) => void (await c.ping()), timeoutMs);

/** Redis answered and said no: credentials, permissions or the TLS handshake. */
const REFUSAL = /NOAUTH|WRONGPASS|NOPERM|certificate|CERT_|altnames|self.signed/i;

/** The start-up line when Redis cannot be used: one line, with what to check or do. */
export function redisStartupFailure(settings: RedisSettings, err: unknown): string {
  const text = `${(err as Error | undefined)?.message ?? String(err)}${(err as NodeJS.ErrnoException | undefined)?.code ?? ''}`;
  if (REFUSAL.test(text)) return `Redis refused the connection: ${explainConnectError(err)}`;
  return (
    `Redis is not reachable at ${redactUrl(settings.REDIS_URL)} (${explainConnectError(err)}). Start one with ` +
    '`docker compose up -d redis` or `redis-server`, or point REDIS_URL at yours.'
  );
}

/** Turns ioredis' and Node's connection errors into what an operator should check. */
export function explainConnectError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (/WRONGPASS|invalid username-password/i.test(message))
    return `${message}: check REDIS_USERNAME / REDIS_PASSWORD or the URL's credentials`;
  if (/NOAUTH/.test(message)) return `${message}: this Redis needs a password (REDIS_PASSWORD or the URL)`;
  if (/NOPERM/.test(message)) return `${message}: the ACL user lacks a permission the service needs`;
  if (/altnames|Hostname\/IP does not match/i.test(message))
    return `${message}: the certificate does not name this host; connect by a name it holds`;
  if (/certificate|self.signed|UNABLE_TO_VERIFY|CERT_/i.test(message + code))
    return `${message}: the server's certificate is not trusted; set REDIS_TLS_CA_FILE to the CA that signed it`;
  if (/wrong version number|packet length too long|ECONNRESET/i.test(message + code))
    return `${message}: is this port speaking TLS? rediss:// needs a TLS port, redis:// a plain one`;
  return message;
}
