import { createLogger } from './logger.js';
import { configOrExit } from './config.js';
import { onShutdown } from './process.js';
import { startApi } from './server.js';
import { startWorker } from './worker/main.js';

/** API and worker in one process (training still runs in forked children): the local default. */
const config = configOrExit();
const logger = createLogger(config.LOG_LEVEL);
const closeWorker = await startWorker(config, logger.child({ role: 'worker' }));
const closeApi = await startApi(config, logger.child({ role: 'api' }));
onShutdown(
  logger,
  async () => {
    await closeApi();
    await closeWorker();
  },
  config.SHUTDOWN_GRACE_MS,
);
