import { keyringFromConfig } from './api/api-keys.js';
import { buildApp } from './app.js';
import { ConfigError, configOrExit, type Config } from './config.js';
import { createLogger } from './logger.js';
import { onShutdown, requireRedis } from './process.js';
import { createApiDeps } from './runtime.js';
import type { Logger } from 'pino';

/** Starts the HTTP API; returns its close function (used alone here and by main.ts). */
export async function startApi(config: Config, logger: Logger): Promise<() => Promise<void>> {
  await requireRedis(config, logger);
  try {
    keyringFromConfig(config); // a bad key file stops start-up with one line, as bad settings do
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.fatal(err.message);
    process.exit(2);
  }
  const { deps, close } = await createApiDeps(config);
  const app = await buildApp(deps, { loggerInstance: logger });
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ port: config.PORT, backend: deps.backend, dataDir: config.DATA_DIR }, 'trainyard api listening');
  return async () => {
    await app.close(); // stops accepting, finishes in-flight requests
    await close();
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL, { role: 'api' });
  const close = await startApi(config, logger);
  onShutdown(logger, close, config.SHUTDOWN_GRACE_MS);
}
