import { setFlagsFromString } from 'node:v8';
import { keyringFromConfig, sameCaller, type Keyring } from './api/api-keys.js';
import { buildApp } from './app.js';
import { lowerHelperThreads } from './api/helper-threads.js';
import { ConfigError, configOrExit, type Config } from './config.js';
import { createLogger } from './logger.js';
import { onShutdown, requireRedis } from './process.js';
import { createApiDeps } from './runtime.js';
import type { Logger } from 'pino';

/** Starts the HTTP API; returns its close function (used alone here and by main.ts). */
export async function startApi(config: Config, logger: Logger): Promise<() => Promise<void>> {
  // Under load with slow requests in flight, many objects outlive the young generation; V8's
  // own growth factor then lets the old one grow to several times what is live between collections.
  if (config.API_HEAP_GROWTH_PERCENT > 0)
    setFlagsFromString(`--heap-growing-percent=${config.API_HEAP_GROWTH_PERCENT}`);
  await requireRedis(config, logger);
  try {
    keyringFromConfig(config); // a bad key file stops start-up with one line, as bad settings do
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.fatal(err.message);
    process.exit(2);
  }
  const { deps, inference, close } = await createApiDeps(config);
  const helpers = config.API_HELPER_THREADS_NICE > 0 ? lowerHelperThreads(config.API_HELPER_THREADS_NICE) : undefined;
  if (deps.keyring) reloadKeysOnHangup(config, deps.keyring, logger);
  const app = await buildApp(deps, { loggerInstance: logger });
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info(
    { port: config.PORT, backend: deps.backend, inference, dataDir: config.DATA_DIR },
    'trainyard api listening',
  );
  return async () => {
    await app.close(); // stops accepting, finishes in-flight requests
    helpers?.stop();
    await close();
  };
}

/**
 * SIGHUP re-reads API_KEYS_FILE (and API_KEYS): keys and tenants are added or revoked without a
 * restart. A file that does not parse, or holds no key, leaves the current keys in place; keys
 * the new file lacks are logged as revoked (a warning), and their open event streams end.
 */
function reloadKeysOnHangup(config: Config, keyring: Keyring, logger: Logger): void {
  process.on('SIGHUP', () => {
    try {
      const next = keyringFromConfig(config);
      if (!next) throw new ConfigError('API_KEYS/API_KEYS_FILE hold no key');
      const before = new Map(keyring.callers().map((c) => [c.id, c]));
      const after = new Map(next.callers().map((c) => [c.id, c]));
      const revoked = [...before.keys()].filter((id) => !after.has(id));
      const added = [...after.keys()].filter((id) => !before.has(id));
      // A key moved to another tenant or given other scopes: its streams end as a revoked key's do.
      const changed = [...after.values()]
        .filter((c) => before.has(c.id) && !sameCaller(before.get(c.id)!, c))
        .map((c) => c.id);
      keyring.replace(next);
      // A file caught half-written (not replaced by a rename) revokes keys silently: say which.
      const log = revoked.length + changed.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ keys: next.size, tenants: next.tenants(), added, revoked, changed }, 'API keys re-read');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'API keys not re-read: the current keys stay');
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL, { role: 'api' });
  const close = await startApi(config, logger);
  onShutdown(logger, close, config.SHUTDOWN_GRACE_MS);
}
