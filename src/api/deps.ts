import type { RedisClient as Redis } from '../queue/redis.js';
import type { Config } from '../config.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import type { Keyring } from './api-keys.js';
import type { Predictor } from '../inference/predictor.js';
import type { ModelStore } from '../models/store.js';
import type { JobEventHub } from '../queue/job-events.js';
import type { JobService } from '../queue/job-service.js';
import type { DatasetStore } from '../datasets/types.js';
import type { ObjectStorage } from '../storage/types.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { ModelResolver } from '../registry/resolver.js';
import type { ImportJobData } from '../queue/import-queue.js';

/** Everything the HTTP layer needs, built by the caller (server, tests) and decorated onto the app. */
export interface AppDeps {
  config: Pick<
    Config,
    | 'MAX_UPLOAD_BYTES'
    | 'MAX_BATCH'
    | 'MAX_DATASET_BYTES'
    | 'MAX_CLASSES'
    | 'LOG_LEVEL'
    | 'QUEUE_PREFIX'
    | 'METRICS_KEY'
    | 'CORS_ORIGINS'
    | 'RATE_LIMIT_PREDICT_PER_MINUTE'
    | 'RATE_LIMIT_TRAIN_PER_MINUTE'
    | 'DASHBOARD_DIR'
    | 'CLIENT_IDLE_TIMEOUT_MS'
    | 'REQUEST_TIMEOUT_MS'
    | 'ALLOWED_HOSTS'
    | 'MAX_IMAGE_PIXELS'
    | 'MAX_DECODE_MEMORY'
    | 'MAX_PREDICT_BODY_BYTES'
    | 'MAX_REQUEST_PIXELS'
    | 'MODEL_CACHE_BYTES'
    | 'MAX_EVENT_STREAMS_PER_KEY'
    | 'MAX_EVENT_STREAMS'
    | 'RATE_LIMIT_READ_PER_MINUTE'
    | 'AUTH_FAILURES_PER_MINUTE'
    | 'MAX_QUEUED_JOBS_PER_KEY'
    | 'MAX_RUNNING_JOBS_PER_KEY'
    | 'MAX_DATASETS_PER_KEY'
    | 'MAX_DATASET_STORAGE_PER_KEY'
    | 'DEFAULT_MODEL'
  >;
  /** The API keys; undefined runs the service open. */
  keyring?: Keyring;
  metrics: ApiMetrics;
  redis: Redis;
  jobs: JobService;
  jobEvents: JobEventHub;
  /** How often an open event stream sends a comment line, so proxies keep it open (default 15 s). */
  eventsHeartbeatMs?: number;
  datasets: DatasetStore;
  /** Queues a dataset's import job (the `dataset-import` queue). */
  imports: { enqueue(data: ImportJobData): Promise<void> };
  models: ModelStore;
  /** Names, versions and aliases of the stored models. */
  registry: ModelRegistry;
  /** Names to model ids for predictions, cached per replica and dropped on every published change. */
  resolver: ModelResolver;
  /** Where models and datasets live; the readiness probe checks it. */
  storage: Pick<ObjectStorage, 'location' | 'check'>;
  predictor: Predictor;
  backend: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
    /** Every route registered, as `METHOD /path` in Fastify's own syntax (`:id`). */
    servedRoutes: readonly string[];
  }
}
