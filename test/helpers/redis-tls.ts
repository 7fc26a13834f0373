import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

/**
 * A redis-server that speaks TLS only, with an ACL user and the default user off, its
 * certificate signed by a CA made here with openssl. `otherCa` is a second CA that signed
 * nothing, for the case of a client trusting the wrong one.
 */
const run = promisify(execFile);

export interface TlsRedis {
  port: number;
  dir: string;
  caFile: string;
  otherCaFile: string;
  user: string;
  password: string;
  stop(): Promise<void>;
}

async function makeCa(dir: string, name: string): Promise<{ key: string; cert: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
  return { key, cert };
}

export interface TlsFiles {
  dir: string;
  caFile: string;
  otherCaFile: string;
  cert: string;
  key: string;
}

/** A CA, a server certificate it signed for 127.0.0.1 only, and another CA that signed nothing. */
export async function makeTlsFiles(): Promise<TlsFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'ty-tls-'));
  const ca = await makeCa(dir, 'test-ca');
  const other = await makeCa(dir, 'other-ca');
  // The server's certificate names 127.0.0.1 only: a client that connects as "localhost" is refused.
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    '/CN=trainyard-test-redis',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
  return { dir, caFile: ca.cert, otherCaFile: other.cert, cert, key };
}

export const TLS_USER = 'trainyard';
export const TLS_PASSWORD = 'tls-acl-secret';

/** redis-server arguments: TLS only on `port`, the default user off and one ACL user. */
export async function tlsServerArgs(files: TlsFiles, port: number): Promise<string[]> {
  const aclFile = join(files.dir, 'users.acl');
  await writeFile(aclFile, `user default off\nuser ${TLS_USER} on >${TLS_PASSWORD} ~* &* +@all\n`);
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--tls-cert-file',
    files.cert,
    '--tls-key-file',
    files.key,
    '--tls-ca-cert-file',
    files.caFile,
    '--tls-auth-clients',
    'no',
    '--aclfile',
    aclFile,
  ];
}

export async function startTlsRedis(opts: { maxmemoryPolicy?: string } = {}): Promise<TlsRedis> {
  const files = await makeTlsFiles();
  const dir = files.dir;
  const port = await freePort();
  const args = [...(await tlsServerArgs(files, port)), '--maxmemory-policy', opts.maxmemoryPolicy ?? 'noeviction'];
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!out.includes('Ready to accept connections')) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`TLS redis-server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    caFile: files.caFile,
    otherCaFile: files.otherCaFile,
    user: TLS_USER,
    password: TLS_PASSWORD,
    stop,
  };
}
