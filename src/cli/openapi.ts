import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { buildApp, type AppDeps } from '../app.js';
import { loadConfig } from '../config.js';
import { createPredictor } from '../inference/predictor.js';
import { createApiMetrics } from '../metrics/api-metrics.js';
import { createModelStore } from '../models/store.js';
import type { JobEventHub } from '../queue/job-events.js';
import type { JobService } from '../queue/job-service.js';
import { datasetStoreFromConfig, storageFromConfig } from '../stores.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { ModelResolver } from '../registry/resolver.js';

export const OPENAPI_FILE = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

/**
 * The OpenAPI document as YAML, generated from the route schemas. Building the app needs no
 * running Redis or worker: routes are only registered, never called.
 */
export async function generateOpenapi(): Promise<string> {
  const config = loadConfig({ DATA_DIR: 'unused', LOG_LEVEL: 'silent' });
  const storage = storageFromConfig(config);
  const models = createModelStore({ storage });
  const deps: AppDeps = {
    config,
    redis: new Redis({ lazyConnect: true }),
    jobs: {} as JobService,
    jobEvents: {} as JobEventHub,
    datasets: datasetStoreFromConfig(config, storage),
    imports: { enqueue: () => Promise.resolve() },
    models,
    registry: {} as ModelRegistry,
    resolver: {} as ModelResolver,
    storage,
    predictor: createPredictor({ models, cacheSize: 1 }),
    metrics: createApiMetrics(),
    backend: 'none',
  };
  const app = await buildApp(deps, { logger: false });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  deps.redis.disconnect();
  return stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const yaml = await generateOpenapi();
  if (process.argv.includes('--write')) {
    await writeFile(OPENAPI_FILE, yaml);
    console.log(`wrote ${OPENAPI_FILE}`);
  } else if (process.argv.includes('--check')) {
    const current = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
    if (current !== yaml) {
      console.error('openapi.yaml is out of date: run `npm run openapi`');
      process.exit(1);
    }
  } else {
    process.stdout.write(yaml);
  }
}
