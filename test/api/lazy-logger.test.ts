import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChild } from '../../src/api/lazy-logger.js';
import { buildLoggedTestApp } from '../helpers/app.js';

function logged(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().trim().split('\n')) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const root = pino({ level }, stream);
  let children = 0;
  const counted = new Proxy(root, {
    get(target, key, receiver) {
      if (key !== 'child') return Reflect.get(target, key, receiver) as unknown;
      return (...args: Parameters<typeof root.child>) => {
        children++;
        return target.child(...args);
      };
    },
  });
  return { lines, root: counted, children: () => children };
}

describe('request loggers made on first write', () => {
  it('writes the bindings of every level of children, merged, once a line is enabled', () => {
    const { lines, root, children } = logged('info');
    const request = lazyChild(root, { reqId: 'r-1' }).child({ caller: 'ip:1.2.3.4', tenant: 'default' });
    request.debug('not written');
    expect(children()).toBe(0);
    request.info({ statusCode: 200 }, 'request');
    expect(children()).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({
        reqId: 'r-1',
        caller: 'ip:1.2.3.4',
        tenant: 'default',
        statusCode: 200,
        msg: 'request',
      }),
    ]);
  });

  it('makes no pino child at all while its lines are below the level', () => {
    const { lines, root, children } = logged('warn');
    const request = lazyChild(root, { reqId: 'r-2' }).child({ caller: 'k1' });
    request.info('dropped');
    request.debug('dropped');
    expect(children()).toBe(0);
    expect(lines).toEqual([]);
    request.warn('kept');
    expect(lines).toEqual([expect.objectContaining({ reqId: 'r-2', caller: 'k1', msg: 'kept', level: 40 })]);
  });

  it('follows a level changed on the root after the request began', () => {
    const { lines, root } = logged('warn');
    const request = lazyChild(root, { reqId: 'r-3' });
    root.level = 'info';
    request.info('now written');
    expect(lines.map((l) => l.msg)).toEqual(['now written']);
    expect(request.level).toBe('info');
  });

  it('keeps the request id, caller and tenant on the request line of the app', async () => {
    const { app, lines, close } = await buildLoggedTestApp();
    try {
      const res = await app.inject({ url: '/v1/models', headers: { 'x-request-id': 'trace-lazy-1' } });
      expect(res.statusCode).toBe(200);
      const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request');
      expect(line).toMatchObject({ reqId: 'trace-lazy-1', tenant: 'default', statusCode: 200 });
      expect(String(line?.caller)).toMatch(/^ip:/);
    } finally {
      await close();
    }
  });
});
