import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BACKEND_CHOICES } from './schemas/training-backends.js';

/**
 * Every setting comes from the environment, is validated once at start-up and is then
 * passed down explicitly: domain code never reads process.env.
 */
const Int = (min: number, max: number, def: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: def, description });

export const ConfigSchema = Type.Object({
  PORT: Int(0, 65535, 3000, 'HTTP port of the API'),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address the API listens on' }),
  REDIS_URL: Type.String({
    pattern: '^rediss?://',
    default: 'redis://127.0.0.1:6379',
    description: 'Redis holding the queue and job state',
  }),
  QUEUE_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9:_{}-]+$',
    default: 'trainyard',
    description: 'Prefix of every Redis key',
  }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: './data',
    description: 'Downloads (MNIST); also models, checkpoints and uploaded datasets when STORAGE_URL is unset',
  }),
  STORAGE_URL: Type.String({
    pattern: '^(file:.*|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)?$',
    default: '',
    description:
      'Where models, checkpoints and uploaded datasets are kept, shared by API and workers: empty or file: for DATA_DIR, file:<dir>, or s3://bucket/prefix',
  }),
  S3_ENDPOINT: Type.String({
    pattern: '^(https?://.+)?$',
    default: '',
    description: 'S3 endpoint for MinIO and other S3-compatible services; empty: AWS',
  }),
  S3_FORCE_PATH_STYLE: Type.Boolean({
    default: false,
    description: 'Address buckets as endpoint/bucket instead of bucket.endpoint (MinIO needs true)',
  }),
  S3_REGION: Type.String({
    default: '',
    description: 'S3 region; empty: AWS_REGION or the AWS config file. Credentials come from the usual AWS_* variables',
  }),
  MODEL_LIST_CACHE_MS: Int(
    0,
    600_000,
    1000,
    'How long the model listing (and so the default model of /v1/predict) is reused before storage is listed again',
  ),
  TRAINING_BACKEND: Type.Union(
    BACKEND_CHOICES.map((c) => Type.Literal(c)),
    {
      default: 'auto',
      description:
        'What trains: native (the OpenBLAS addon, built by npm run build), or a TensorFlow.js backend (tensorflow, wasm, cpu); auto tries them in that order',
    },
  ),
  WORKER_CONCURRENCY: Int(1, 64, 1, 'Training jobs one worker runs at once'),
  JOB_LOCK_MS: Int(
    1000,
    600_000,
    20_000,
    'How long a worker holds a job between lock renewals; a dead worker is noticed after it',
  ),
  STALLED_CHECK_MS: Int(500, 600_000, 10_000, 'How often workers look for jobs whose worker died'),
  SHUTDOWN_GRACE_MS: Int(1000, 3_600_000, 30_000, 'How long SIGTERM may take before the process exits anyway'),
  WORKER_HEARTBEAT_FILE: Type.String({
    default: '',
    description:
      'If set, a worker touches this file every 5 s while it is connected and taking jobs (for healthchecks)',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  MAX_UPLOAD_BYTES: Int(1024, 1024 ** 3, 10 * 1024 * 1024, 'Largest request body (images, datasets, JSON)'),
  // At most 1 GiB: a worker reads each file whole into one buffer, which a 2 GiB file would not fit.
  MAX_DATASET_BYTES: Int(1024, 1024 ** 3, 256 * 1024 * 1024, 'Largest dataset upload, per file and unpacked'),
  MAX_BATCH: Int(1, 4096, 256, 'Most inputs in one predict request'),
  MODEL_CACHE_SIZE: Int(1, 1000, 16, 'Models the API keeps loaded'),
  JOB_RETENTION_DAYS: Int(1, 3650, 7, 'Days finished jobs are kept (at most 1000 of each outcome)'),
  API_KEYS: Type.String({
    default: '',
    description:
      'Comma-separated `key:scope` entries (scope `train` or `predict`); when set, every /v1 route needs `Authorization: Bearer <key>`',
  }),
  API_KEYS_FILE: Type.String({
    default: '',
    description:
      'File of `key:scope` entries, one per line or comma-separated (`#` starts a comment); added to API_KEYS',
  }),
  METRICS_KEY: Type.String({
    default: '',
    description: 'If set, `GET /metrics` needs `Authorization: Bearer <METRICS_KEY>`',
  }),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'Comma-separated origins allowed to call the API from a browser (`*` for any); empty: CORS off',
  }),
  RATE_LIMIT_PREDICT_PER_MINUTE: Int(
    0,
    10_000_000,
    6000,
    'Predict requests per minute per API key (per IP without keys); 0: no limit',
  ),
  RATE_LIMIT_TRAIN_PER_MINUTE: Int(
    0,
    1_000_000,
    30,
    'Job submissions and dataset uploads per minute per API key (or IP); 0: no limit',
  ),
  MAX_QUEUED_JOBS_PER_KEY: Int(0, 100_000, 20, 'Jobs one API key (or IP) may have queued at once; 0: no limit'),
  WORKER_METRICS_PORT: Int(0, 65535, 9464, "Port of a worker's Prometheus `/metrics`; 0: not served"),
  FASHION_MNIST_DIR: Type.String({
    default: '/usr/share/datasets/fashion-mnist',
    description: 'IDX files of Fashion-MNIST (Debian package dataset-fashion-mnist)',
  }),
  MNIST_DIR: Type.String({ default: '', description: 'IDX files of MNIST; empty: download on first use' }),
  MNIST_BASE_URL: Type.String({
    pattern: '^https?://',
    default: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    description: 'Mirror MNIST is downloaded from (files checked against their published MD5)',
  }),
  CLIENT_IDLE_TIMEOUT_MS: Int(
    1000,
    600_000,
    30_000,
    'A connection on which nothing arrives or leaves for this long is closed (slow or stalled clients); request headers must arrive within it too',
  ),
  REQUEST_TIMEOUT_MS: Int(
    1000,
    3_600_000,
    300_000,
    'Longest a request may take to arrive whole, headers and body (a body trickled in a byte at a time is cut off)',
  ),
  ALLOWED_HOSTS: Type.String({
    default: '',
    description:
      'While API_KEYS is unset, host names (besides IP addresses and localhost) the API answers to, comma-separated: a guard against DNS rebinding',
  }),
  DASHBOARD_DIR: Type.String({
    default: '',
    description: 'Built dashboard served at / (index.html, assets/); empty: dist/web of the installed package',
  }),
  MAX_DATASETS_PER_KEY: Int(1, 100_000, 20, 'Uploaded datasets one API key (or IP) may keep stored'),
  MAX_DATASET_STORAGE_PER_KEY: Int(
    1024,
    1024 ** 4,
    1024 ** 3,
    'Bytes of uploaded datasets (uncompressed) one API key (or IP) may keep stored, uploads in flight included',
  ),
  MAX_DATASET_IMAGES: Int(1, 10_000_000, 250_000, 'Most images (train + test) in one uploaded dataset'),
  MAX_UPLOADS_IN_FLIGHT_PER_KEY: Int(1, 1000, 2, 'Dataset uploads one API key (or IP) may have running at once'),
  MAX_UPLOADS_IN_FLIGHT: Int(1, 10_000, 8, 'Dataset uploads one API process runs at once'),
  MAX_MODEL_PARAMS: Int(
    1000,
    1_000_000_000,
    8_000_000,
    "Most parameters (weights and biases) a job's network may have; its model takes 4 bytes per parameter",
  ),
  MAX_JOB_GFLOP: Int(
    1,
    1_000_000_000,
    45_000,
    'Most training work a job may ask for, in GFLOP (6 × parameters × training samples × epochs); the default is about an hour on the wasm backend',
  ),
  JOB_TIMEOUT_SECONDS: Int(
    1,
    30 * 86_400,
    7200,
    'Longest a training job may run, summed over its attempts; a job may ask for less with timeoutSeconds',
  ),
  MAX_RUNNING_JOBS_PER_KEY: Int(
    0,
    100_000,
    4,
    'Training jobs one API key (or IP) may have running at once; its others wait in the queue; 0: no limit',
  ),
  MAX_BATCH_UNITS: Int(
    1,
    1_000_000_000,
    2_097_152,
    "Most batchSize × hidden units (summed over the layers) of a job: bounds a trainer's activation memory and the time of one step",
  ),
  MAX_IMAGE_PIXELS: Int(
    1,
    4096 * 4096,
    4096 * 4096,
    'Most pixels (width × height, from the header) of one uploaded image; either side is also at most 4096',
  ),
  MAX_REQUEST_PIXELS: Int(
    1,
    2 ** 31,
    4 * 4096 * 4096,
    'Most pixels of all the images of one predict request together, checked from their headers before decoding',
  ),
  MAX_DECODE_MEMORY: Int(
    1024 * 1024,
    1024 ** 3,
    64 * 1024 * 1024,
    'Most memory one uploaded image may take to decode, estimated from its header: interlaced PNG, progressive JPEG, GIF and lossless or transparent WebP are decoded whole (4–6 bytes a pixel), the rest in strips. Images decode at most 32 MiB of estimates at a time (a larger one alone)',
  ),
  MAX_PREDICT_BODY_BYTES: Int(
    1024 * 1024,
    16 * 1024 ** 3,
    64 * 1024 * 1024,
    'Most bytes of prediction bodies the API reads into memory at once (each counted at its Content-Length, or MAX_UPLOAD_BYTES without one); one key may hold half; past it a 503 SERVER_BUSY with Retry-After',
  ),
  MODEL_CACHE_BYTES: Int(
    1024 * 1024,
    64 * 1024 ** 3,
    256 * 1024 * 1024,
    'Most bytes of models (their stored size) the API keeps loaded, besides MODEL_CACHE_SIZE',
  ),
  MAX_EVENT_STREAMS_PER_KEY: Int(
    0,
    100_000,
    10,
    'Event streams one API key (or IP without keys) may hold open on one API process; 0: no limit',
  ),
  MAX_EVENT_STREAMS: Int(0, 1_000_000, 1000, 'Event streams one API process holds open in all; 0: no limit'),
  RATE_LIMIT_READ_PER_MINUTE: Int(
    0,
    10_000_000,
    1200,
    'GET requests to /v1 per minute per API key (per IP without keys), an event stream counting once; 0: no limit',
  ),
  AUTH_FAILURES_PER_MINUTE: Int(
    0,
    1_000_000,
    20,
    'Failed authentications (401) one client IP may have per minute before its keyless or wrong-key requests get a 429; 0: no limit',
  ),
  WORKER_METRICS_HOST: Type.String({
    minLength: 1,
    default: '127.0.0.1',
    description:
      "Address a worker's `/metrics` listens on (loopback unless set; with METRICS_KEY it needs that bearer)",
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  // Convert turns "3000" into 3000 for integer settings; Default fills what is unset.
  const candidate = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, structuredClone(raw)));
  const problems = [...Value.Errors(ConfigSchema, candidate)].map((e) => {
    const key = e.path.slice(1);
    const choices = (e.schema.anyOf as { const?: string }[] | undefined)?.map((c) => c.const);
    const why = choices ? `must be one of ${choices.join(', ')}` : e.message;
    return `${key}=${JSON.stringify(env[key])}: ${why}`;
  });
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  return candidate as Config;
}

/** The settings of this process, or one line on stderr and exit code 2 when they are wrong. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
