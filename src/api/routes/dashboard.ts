import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '../../errors.js';

/** The package root: three levels up from this file, both in src/ (tests) and in dist/ (run time). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the built dashboard is: DASHBOARD_DIR (relative to the working directory), else dist/web. */
export function dashboardDir(setting: string): string {
  return setting ? resolve(setting) : join(PACKAGE_ROOT, 'dist', 'web');
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * The dashboard's single page and its assets. Asset names carry a content hash, so they are
 * cached for good; index.html names the current ones, so it is revalidated on every load.
 * Files are read per request: a dashboard built after the API started is served as it is.
 */
const dashboard: FastifyPluginAsyncTypebox = async (app) => {
  const dir = dashboardDir(app.deps.config.DASHBOARD_DIR);

  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    immutable: true,
    maxAge: YEAR_MS,
    index: false,
    // An unbuilt dashboard is reported by GET / itself, not by a warning at every start.
    suppressWarning: true,
  });

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    let html: Buffer;
    try {
      html = await readFile(join(dir, 'index.html'));
    } catch {
      throw new NotFoundError(
        'the dashboard is not built: run `npm run build` (or set DASHBOARD_DIR to a built one)',
        'DASHBOARD_NOT_BUILT',
      );
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  });
};

export default dashboard;
