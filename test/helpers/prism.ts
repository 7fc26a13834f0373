/**
 * Stoplight Prism's validating proxy (`prism proxy <document> <upstream> --errors`) in front of
 * a listening app: every answer that passes through it carries `sl-violations` when the request
 * or the answer breaks the document, and with --errors a request that breaks it is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';
import { waitFor } from './processes.js';

const local = fileURLToPath(new URL('../../node_modules/.bin/prism', import.meta.url));

/** The prism command: the project's devDependency, or PRISM_BIN; undefined when neither is installed. */
export const prismBin = (): string | undefined => process.env.PRISM_BIN ?? (existsSync(local) ? local : undefined);

export interface PrismProxy {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startPrismProxy(document: string, upstream: string): Promise<PrismProxy> {
  const bin = prismBin();
  if (!bin) throw new Error('prism is not installed (npm ci installs @stoplight/prism-cli)');
  const port = await freePort();
  const proc: ChildProcess = spawn(
    bin,
    ['proxy', document, upstream, '--errors', '-p', String(port), '-h', '127.0.0.1', '-v', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`prism exited with ${proc.exitCode}:\n${out}`);
    return fetch(`${url}/`).then(
      () => true,
      () => undefined,
    );
  }, 60_000);
  return {
    url,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
