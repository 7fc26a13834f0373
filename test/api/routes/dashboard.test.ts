import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardDir } from '../../../src/api/routes/dashboard.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { expectError } from '../../helpers/http.js';

/** A GET with the path sent byte for byte (fetch would resolve the dot segments first). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

const INDEX = '<!doctype html><title>Trainyard</title><script type="module" src="/assets/index-3f9a1c.js"></script>';
const ASSET = 'console.log("dashboard");';

describe('dashboard serving', () => {
  let web: string;
  let t: TestApp;
  beforeAll(async () => {
    web = await mkdtemp(join(tmpdir(), 'trainyard-web-'));
    await mkdir(join(web, 'assets'));
    await writeFile(join(web, 'index.html'), INDEX);
    await writeFile(join(web, 'assets', 'index-3f9a1c.js'), ASSET);
    t = await buildTestApp({ DASHBOARD_DIR: web });
  });
  afterAll(async () => {
    await t.close();
    await rm(web, { recursive: true, force: true });
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('GET / answers index.html, revalidated on every load', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(INDEX);
  });

  it('serves hashed assets cached for a year as immutable', async () => {
    const res = await get('/assets/index-3f9a1c.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe(ASSET);
  });

  it('a missing asset is a 404 in the one error shape, and paths cannot leave the assets directory', async () => {
    expectError(await get('/assets/nope.js'), 404, 'ROUTE_NOT_FOUND', /no route for GET \/assets\/nope\.js/);
    // Over a real socket, so that the raw path reaches the static handler as a client sent it.
    await writeFile(join(web, '..', `${basename(web)}-secret.txt`), 'TOP SECRET CONTENT');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    for (const path of [
      '/assets/../index.html',
      '/assets/%2e%2e/index.html',
      '/assets/%2E%2E%2Findex.html',
      `/assets/..%2f..%2f${basename(web)}-secret.txt`,
      `/assets/%2e%2e/%2e%2e/${basename(web)}-secret.txt`,
    ]) {
      const res = await rawGet(port, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).not.toContain('<!doctype html>');
      expect(res.body, path).not.toContain('TOP SECRET CONTENT');
    }
  });

  it('does not shadow the API, the docs or the health routes', async () => {
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await get('/v1/models')).json()).toEqual({ items: [], registered: [] });
    expect((await get('/docs/json')).json()).toMatchObject({ openapi: '3.1.0' });
    expectError(await get('/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND', /no route for GET \/v1\/nothing-here/);
  });

  it('answers GET / with a 404 saying how to build the dashboard when it is not built', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'trainyard-web-empty-'));
    const other = await buildTestApp({ DASHBOARD_DIR: empty });
    try {
      expectError(await other.app.inject({ method: 'GET', url: '/' }), 404, 'DASHBOARD_NOT_BUILT', /npm run build/);
      expect((await other.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await other.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('finds dist/web under the package root by default', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    expect(dashboardDir('')).toBe(join(root, 'dist', 'web'));
    expect(dashboardDir('some/dir')).toBe(join(process.cwd(), 'some', 'dir'));
  });
});
