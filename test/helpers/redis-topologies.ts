import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { tlsServerArgs, TLS_PASSWORD, TLS_USER, type TlsFiles } from './redis-tls.js';
import { freePort } from './net.js';

/**
 * Real Redis topologies on loopback for the tests that prove the service on them: a cluster of
 * primaries (with replicas if asked) and a Sentinel-watched primary with a replica. Every
 * process is started here on free ports and ended by its pid; nothing persists.
 */
const run = promisify(execFile);

export interface RedisNode {
  port: number;
  proc: ChildProcess;
  /** SIGKILL, as a host that dies. */
  kill(): Promise<void>;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port whose cluster-bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if (taken.has(port) || taken.has(port + 10000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10000))) {
      taken.add(port).add(port + 10000);
      return port;
    }
  }
}

/** Spawns one redis-server and waits for a PING through a client made with `client` (auth, TLS). */
async function spawnRedis(args: string[], port: number, client: RedisOptions = {}): Promise<RedisNode> {
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  const failed = once(proc, 'error').then(([err]) => {
    throw new Error(`redis-server did not start: ${(err as Error).message}`);
  });
  const node: RedisNode = {
    port,
    proc,
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
  };
  for (let i = 0; i < 200; i++) {
    const c = new Redis({ port, host: '127.0.0.1', ...client, lazyConnect: true, retryStrategy: () => null });
    c.on('error', () => {});
    const up = await Promise.race([
      c.connect().then(
        () => c.ping().then(() => true),
        () => false,
      ),
      failed,
    ]).finally(() => c.disconnect());
    if (up) return node;
    await new Promise((r) => setTimeout(r, 50));
  }
  await node.kill();
  throw new Error(`redis-server on port ${port} never answered`);
}

const base = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
const policy = ['--maxmemory-policy', 'noeviction'];

export interface RedisClusterTopology {
  url: string;
  nodes: RedisNode[];
  stop(): Promise<void>;
}

/**
 * `primaries` cluster primaries (and `replicasPerPrimary` replicas each), slots spread by
 * redis-cli. With `tls`, every node speaks TLS only (clients, the cluster bus and replication)
 * and knows the ACL user of redis-tls.ts; the URL is then `rediss+cluster://`.
 */
export async function startRedisCluster(
  primaries = 3,
  replicasPerPrimary = 0,
  tls?: TlsFiles,
): Promise<RedisClusterTopology> {
  const dir = await mkdtemp(join(tmpdir(), 'ty-cluster-'));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < primaries * (1 + replicasPerPrimary); i++) ports.push(await freeClusterPort(taken));
  const client: RedisOptions = tls
    ? { tls: { ca: await readFile(tls.caFile, 'utf8') }, username: TLS_USER, password: TLS_PASSWORD }
    : {};
  const nodes = await Promise.all(
    ports.map(async (port) =>
      spawnRedis(
        [
          ...(tls
            ? [...(await tlsServerArgs(tls, port)), '--tls-cluster', 'yes', '--tls-replication', 'yes']
            : base(port)),
          ...policy,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
        ],
        port,
        client,
      ),
    ),
  );
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    const cliTls = tls ? ['--tls', '--cacert', tls.caFile, '--user', TLS_USER, '--pass', TLS_PASSWORD] : [];
    await run('redis-cli', [
      ...cliTls,
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicasPerPrimary),
      '--cluster-yes',
    ]);
    // Every node must agree that all slots are served before a client is given the cluster.
    for (const port of ports) await waitForInfo(port, 'cluster', /cluster_state:ok/, client);
  } catch (err) {
    await stop();
    throw err;
  }
  const scheme = tls ? 'rediss+cluster' : 'redis+cluster';
  return { url: `${scheme}://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, nodes, stop };
}

async function waitForInfo(
  port: number,
  section: string,
  wanted: RegExp,
  client: RedisOptions = {},
  timeoutMs = 20_000,
): Promise<void> {
  const c = new Redis({ port, host: '127.0.0.1', ...client, lazyConnect: true, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = section === 'cluster' ? await c.cluster('INFO') : await c.info(section);
      if (wanted.test(String(info))) return;
      if (Date.now() > deadline) throw new Error(`redis ${port}: ${wanted} not seen in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    c.disconnect();
  }
}

async function waitForSentinel(port: number, password?: string, timeoutMs = 30_000): Promise<void> {
  const c = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const flat = (await c.call('SENTINEL', 'master', SENTINEL_MASTER)) as string[];
      const field = (name: string) => Number(flat[flat.indexOf(name) + 1]);
      if (field('num-slaves') >= 1 && field('num-other-sentinels') >= 2) return;
      if (Date.now() > deadline) throw new Error(`sentinel ${port} never saw its replica and peers`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    c.disconnect();
  }
}

export interface SentinelTopology {
  url: string;
  primary: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** The port of the primary the sentinels name now. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

export const SENTINEL_MASTER = 'mymaster';

/**
 * A primary, a replica, three sentinels that fail over after a second without the primary. With
 * `password`, the data nodes require it (replicas authenticate with it too) and with
 * `sentinelPassword` the sentinels do.
 */
export async function startSentinelTopology(
  opts: { password?: string; sentinelPassword?: string } = {},
): Promise<SentinelTopology> {
  const { password, sentinelPassword } = opts;
  const dir = await mkdtemp(join(tmpdir(), 'ty-sentinel-'));
  const primaryPort = await freePort();
  const replicaPort = await freePort();
  const auth = password ? ['--requirepass', password, '--masterauth', password] : [];
  const primary = await spawnRedis([...base(primaryPort), ...policy, ...auth], primaryPort, { password });
  const replica = await spawnRedis(
    [...base(replicaPort), ...policy, ...auth, '--replicaof', '127.0.0.1', String(primaryPort)],
    replicaPort,
    { password },
  );
  const started: RedisNode[] = [primary, replica];
  const stop = async () => {
    await Promise.all(started.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForInfo(replicaPort, 'replication', /master_link_status:up/, { password });
    const sentinels: RedisNode[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const file = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its file as it learns the topology: one each, in the test's directory.
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
          ...(password ? [`sentinel auth-pass ${SENTINEL_MASTER} ${password}`] : []),
          ...(sentinelPassword ? [`requirepass ${sentinelPassword}`] : []),
          '',
        ].join('\n'),
      );
      const node = await spawnRedis([file, '--sentinel'], port, { password: sentinelPassword });
      started.push(node);
      sentinels.push(node);
    }
    // A failover needs a quorum that knows the replica and each other: wait for their hellos.
    for (const s of sentinels) await waitForSentinel(s.port, sentinelPassword);
    const url = `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${SENTINEL_MASTER}`;
    const currentPrimaryPort = async () => {
      const c = new Redis({
        port: sentinels[2]!.port,
        host: '127.0.0.1',
        password: sentinelPassword,
        lazyConnect: true,
        retryStrategy: () => null,
      });
      c.on('error', () => {});
      try {
        await c.connect();
        const [, port] = (await c.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER)) as [string, string];
        return Number(port);
      } finally {
        c.disconnect();
      }
    };
    return { url, primary, replica, sentinels, currentPrimaryPort, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
