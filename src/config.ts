import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BACKEND_CHOICES } from './schemas/training-backends.js';
import { parseRedisTarget, redactUrl, RedisSettingsError } from './queue/redis-target.js';

/**
 * Every setting comes from the environment, is validated once at start-up and is then
 * passed down explicitly: domain code never reads process.env.
 */
const Int = (min: number, max: number, def: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: def, description });

export const ConfigSchema = Type.Object({
  PORT: Int(0, 65535, 3000, 'HTTP port of the API'),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'address the API listens on' }),
  REDIS_URL: Type.String({
    pattern: '^rediss?(\\+sentinel|\\+cluster)?://',
    default: 'redis://127.0.0.1:6379',
    description:
      'Redis holding the queue and job state: `redis://` or `rediss://` (TLS) `[user:pass@]host:port[/db]`, `redis+sentinel://[user:pass@]host:26379,…/master[/db]`, `redis+cluster://[user:pass@]host:7000,host:7001,…` (see Scaling out)',
  }),
  REDIS_USERNAME: Type.String({ default: '', description: "ACL user of Redis's data nodes when the URL names none" }),
  REDIS_PASSWORD: Type.String({ default: '', description: "password of Redis's data nodes when the URL holds none" }),
  REDIS_TLS_CA_FILE: Type.String({
    default: '',
    description: "PEM file of the CA that signed Redis's certificate (`rediss…://` only); empty: the system's CAs",
  }),
  REDIS_SENTINEL_USERNAME: Type.String({ default: '', description: 'ACL user of the Sentinels, if they need one' }),
  REDIS_SENTINEL_PASSWORD: Type.String({ default: '', description: 'password of the Sentinels, if they need one' }),
  REDIS_REQUIRE_NOEVICTION: Type.Boolean({
    default: false,
    description:
      "`true`: refuse to start when a Redis primary's `maxmemory-policy` is not `noeviction`; `false`: log a warning",
  }),
  QUEUE_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9:_{}-]+$',
    default: 'trainyard',
    description: 'prefix of every Redis key; in cluster mode a hash tag, by default `{trainyard}`',
  }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: './data',
    description: 'MNIST download cache; also models, checkpoints and datasets when `STORAGE_URL` is empty',
  }),
  STORAGE_URL: Type.String({
    pattern: '^(file:.*|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)?$',
    default: '',
    description: 'models, checkpoints, datasets: empty/`file:` DATA_DIR, `file:<dir>`, `s3://bucket/prefix`',
  }),
  S3_ENDPOINT: Type.String({
    pattern: '^(https?://.+)?$',
    default: '',
    description: 'S3 endpoint of MinIO or another S3-compatible service; empty: AWS',
  }),
  S3_FORCE_PATH_STYLE: Type.Boolean({
    default: false,
    description: '`true`: buckets addressed as `endpoint/bucket` (MinIO needs it)',
  }),
  S3_REGION: Type.String({
    default: '',
    description: 'S3 region; empty: `AWS_REGION`. Credentials: the usual `AWS_*` variables or roles',
  }),
  DEFAULT_MODEL: Type.String({
    pattern: '^$|^[a-z](?:[a-z0-9-]{0,62}[a-z0-9])?(?:@[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?)?$',
    default: '',
    description:
      "the registered model `POST /v1/predict` answers with, `name` or `name@alias`, in the caller's tenant; empty: the tenant's only model, else a 409",
  }),
  TRAINING_BACKEND: Type.Union(
    BACKEND_CHOICES.map((c) => Type.Literal(c)),
    {
      default: 'auto',
      description: '`auto`, `native`, `tensorflow`, `wasm` or `cpu`: what trains; `auto` tries them in that order',
    },
  ),
  INFERENCE_BACKEND: Type.Union(
    ['auto', 'native', 'tfjs'].map((c) => Type.Literal(c)),
    {
      default: 'auto',
      description:
        '`auto`, `native` or `tfjs`: what runs predictions in the API. `auto`: the OpenBLAS addon when it loads, for the models it can run (Dense layers with one hidden activation and a softmax, what this service trains), TensorFlow.js for the rest; `native`: the same, but the API refuses to start without the addon; `tfjs`: TensorFlow.js only',
    },
  ),
  WORKER_CONCURRENCY: Int(1, 64, 1, 'training jobs one worker runs at once (each in its own process)'),
  JOB_LOCK_MS: Int(
    1000,
    600_000,
    20_000,
    "how long a worker holds a job between lock renewals; a dead worker's job is taken over after it",
  ),
  STALLED_CHECK_MS: Int(500, 600_000, 10_000, 'how often workers look for jobs whose worker died'),
  SHUTDOWN_GRACE_MS: Int(
    1000,
    3_600_000,
    30_000,
    'how long SIGTERM may take before the process exits anyway (a worker hands its job back at once)',
  ),
  WORKER_HEARTBEAT_FILE: Type.String({
    default: '',
    description: "if set, a worker touches this file every 5 s while connected (compose's healthcheck reads it)",
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino level; JSON logs, pretty on a terminal' },
  ),
  MAX_UPLOAD_BYTES: Int(
    1024,
    1024 ** 3,
    10 * 1024 * 1024,
    'largest request body (images, dataset files as sent); JSON predict bodies have a lower limit (below)',
  ),
  // At most 1 GiB: a worker reads each file whole into one buffer, which a 2 GiB file would not fit.
  MAX_DATASET_BYTES: Int(
    1024,
    1024 ** 3,
    256 * 1024 * 1024,
    'largest dataset file, also once unpacked; at most 1 GiB (what a worker can load)',
  ),
  MAX_BATCH: Int(1, 4096, 256, 'most inputs in one predict request'),
  MODEL_CACHE_SIZE: Int(1, 1000, 16, 'models the API keeps loaded (LRU)'),
  API_HELPER_THREADS_NICE: Int(
    0,
    19,
    10,
    "the nice value of the API's threads other than its event loop (image decoding, file reads, V8's helpers): heavy uploads yield the CPU to the answering thread; 0: the same priority",
  ),
  API_HEAP_GROWTH_PERCENT: Int(
    0,
    300,
    25,
    "how far the API's JavaScript heap may grow past what its last full collection kept, in percent, before the next; 0: V8's own choice (up to 4×), which lets a burst of slow requests add hundreds of MB",
  ),
  JOB_RETENTION_DAYS: Int(1, 3650, 7, 'days finished jobs are kept (at most 1,000 of each outcome)'),
  API_KEYS: Type.String({
    default: '',
    description:
      'comma-separated `key:scopes:tenant` entries (scopes `train`, `predict`, `admin` joined by `+`; the older `key:scope` is tenant `default`); empty: the API is open',
  }),
  API_KEYS_FILE: Type.String({
    default: '',
    description:
      'a file of entries as in `API_KEYS`, one per line or comma-separated (`#` comments), a key may be written `sha256:<hex>`; re-read on SIGHUP',
  }),
  METRICS_KEY: Type.String({
    default: '',
    description:
      "if set, `GET /metrics` of the API and of every worker needs `Authorization: Bearer <METRICS_KEY>` (the API's also takes an admin key, and needs one when API keys are set without this)",
  }),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'origins allowed to call from a browser, comma-separated, or `*`; empty: no CORS headers (see below)',
  }),
  RATE_LIMIT_PREDICT_PER_MINUTE: Int(
    0,
    10_000_000,
    6000,
    'predict requests per minute per tenant (per key in `default`, per IP without keys), shared by all API replicas; 0: no limit',
  ),
  RATE_LIMIT_TRAIN_PER_MINUTE: Int(
    0,
    1_000_000,
    30,
    'job submissions, dataset uploads, cancels and deletes per minute per tenant (per key in `default`, per IP without keys); 0: no limit',
  ),
  MAX_QUEUED_JOBS_PER_KEY: Int(
    0,
    100_000,
    20,
    'jobs one tenant (one key within `default`, one IP without keys) may have waiting in the queue; past it a submission is a 429; 0: no limit',
  ),
  WORKER_METRICS_PORT: Int(0, 65535, 9464, "port of a worker's Prometheus `GET /metrics`; 0: not served"),
  FASHION_MNIST_DIR: Type.String({
    default: '/usr/share/datasets/fashion-mnist',
    description: 'IDX files of Fashion-MNIST (Debian package `dataset-fashion-mnist`)',
  }),
  MNIST_DIR: Type.String({ default: '', description: 'IDX files of MNIST; empty: download on first use' }),
  MNIST_BASE_URL: Type.String({
    pattern: '^https?://',
    default: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    description: 'where MNIST is downloaded from (files checked against their published MD5 sums)',
  }),
  CLIENT_IDLE_TIMEOUT_MS: Int(
    1000,
    600_000,
    30_000,
    'a connection silent this long is closed (stalled bodies, slow headers); event streams ping within it',
  ),
  REQUEST_TIMEOUT_MS: Int(
    1000,
    3_600_000,
    300_000,
    'longest a request may take to arrive whole, headers and body: a body trickled in a byte at a time is cut off',
  ),
  ALLOWED_HOSTS: Type.String({
    default: '',
    description:
      'while `API_KEYS` is unset, host names the API answers to besides IP addresses and `localhost` (a guard against DNS rebinding); others get a 421',
  }),
  DASHBOARD_DIR: Type.String({
    default: '',
    description: 'built dashboard served at `/` (`index.html`, `assets/`); empty: `dist/web` of the package',
  }),
  MAX_DATASETS_PER_KEY: Int(
    1,
    100_000,
    20,
    'uploaded datasets one tenant (one key within `default`, one IP without keys) may keep stored, uploads in flight included; past it an upload is a 429',
  ),
  MAX_DATASET_STORAGE_PER_KEY: Int(
    1024,
    1024 ** 4,
    1024 ** 3,
    'bytes (uncompressed) of uploaded datasets one tenant (one key within `default`, one IP without keys) may keep stored or be uploading; past it a 413',
  ),
  MAX_DATASET_IMAGES: Int(1, 10_000_000, 250_000, 'most images (train + test) in one uploaded dataset; past it a 413'),
  MAX_CLASSES: Int(
    2,
    256,
    100,
    'most classes of one dataset (IDX labels 0 to MAX_CLASSES − 1, class folders or CSV labels); past it a 400, or a failed import',
  ),
  MAX_IMPORT_FILES: Int(
    1,
    10_000_000,
    80_000,
    'most entries (files and folders) in one uploaded archive; past it the import fails, a ZIP whose directory declares more before any is read',
  ),
  MAX_IMPORT_UNPACKED_BYTES: Int(
    1024,
    16 * 1024 ** 3,
    1024 ** 3,
    'most bytes an archive may unpack to, counted as it unpacks (a ZIP also from its directory); past it the import fails',
  ),
  MAX_IMPORT_SECONDS: Int(1, 86_400, 900, 'longest a dataset import may run; past it the import fails'),
  MAX_UPLOADS_IN_FLIGHT_PER_KEY: Int(
    1,
    1000,
    2,
    'dataset uploads one tenant (one key within `default`, one IP without keys) may have running at once; past it a 429 with `Retry-After`',
  ),
  MAX_UPLOADS_IN_FLIGHT: Int(
    1,
    10_000,
    8,
    'dataset uploads one API process runs at once; past it a 429 with `Retry-After`',
  ),
  MAX_MODEL_PARAMS: Int(
    1000,
    1_000_000_000,
    8_000_000,
    "most parameters a job's network may have (a model takes 4 bytes each: about 32 MB at the default); past it a submission is a 400",
  ),
  MAX_JOB_GFLOP: Int(
    1,
    1_000_000_000,
    45_000,
    'most training work a job may ask for, 6 × parameters × training samples × epochs, in GFLOP (about an hour on wasm); past it a 400',
  ),
  JOB_TIMEOUT_SECONDS: Int(
    1,
    30 * 86_400,
    7200,
    'longest a job may run, summed over its attempts; a job may ask for less with `timeoutSeconds`; past it the job fails and is not retried',
  ),
  MAX_RUNNING_JOBS_PER_KEY: Int(
    0,
    100_000,
    4,
    'jobs one tenant (one key within `default`, one IP without keys) may have running at once; its others wait in the queue without using an attempt; 0: no limit',
  ),
  MAX_BATCH_UNITS: Int(
    1,
    1_000_000_000,
    2_097_152,
    "most batchSize × hidden units (summed over layers) of a job: bounds a trainer's activation memory and one step's time (about 1 s); past it a 400",
  ),
  MAX_IMAGE_PIXELS: Int(
    1,
    4096 * 4096,
    4096 * 4096,
    'most pixels (width × height, read from the header) of one uploaded image; either side is also at most 4096',
  ),
  MAX_REQUEST_PIXELS: Int(
    1,
    2 ** 31,
    4 * 4096 * 4096,
    'most pixels of all the images of one predict request together, checked from their headers before any is decoded',
  ),
  MAX_DECODE_MEMORY: Int(
    1024 * 1024,
    1024 ** 3,
    64 * 1024 * 1024,
    'most memory one uploaded image may take to decode, estimated from its header (see below); past it a 413',
  ),
  MAX_PREDICT_BODY_BYTES: Int(
    1024 * 1024,
    16 * 1024 ** 3,
    32 * 1024 * 1024,
    'most bytes of prediction bodies the API holds at once, each counted at its `Content-Length` before a byte is read (chunked: 1 MiB first, then up to `MAX_UPLOAD_BYTES` once past it); one tenant (one key within `default`) may hold half; past it a 503 `SERVER_BUSY` with `Retry-After`',
  ),
  MODEL_CACHE_BYTES: Int(
    1024 * 1024,
    64 * 1024 ** 3,
    256 * 1024 * 1024,
    'most bytes of models (their stored size) the API keeps loaded, besides `MODEL_CACHE_SIZE`; a larger model is refused with a 409',
  ),
  MAX_EVENT_STREAMS_PER_KEY: Int(
    0,
    100_000,
    10,
    'event streams one tenant (one key within `default`, one IP without keys) may hold open on one API process; past it a 429 `TOO_MANY_STREAMS`; 0: no limit',
  ),
  MAX_EVENT_STREAMS: Int(
    0,
    1_000_000,
    1000,
    'event streams one API process holds open in all; past it a 429 `TOO_MANY_STREAMS`; 0: no limit',
  ),
  RATE_LIMIT_READ_PER_MINUTE: Int(
    0,
    10_000_000,
    1200,
    'GET requests to `/v1` per minute per tenant (per key in `default`, per IP without keys), shared by all API replicas; an event stream counts once; 0: no limit',
  ),
  AUTH_FAILURES_PER_MINUTE: Int(
    0,
    1_000_000,
    20,
    "failed authentications (401) per client IP per minute, shared by all replicas; past it that IP's keyless and wrong-key requests get a 429 (valid keys still work); 0: no limit",
  ),
  WORKER_METRICS_HOST: Type.String({
    minLength: 1,
    default: '127.0.0.1',
    description:
      "address a worker's `GET /metrics` listens on; `0.0.0.0` to let another machine or container scrape it (set `METRICS_KEY` then)",
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {}

function redisProblems(config: Config): string[] {
  try {
    parseRedisTarget(config);
    return [];
  } catch (err) {
    if (err instanceof RedisSettingsError) return err.problems;
    throw err;
  }
}

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
    // A URL may carry a password: never echoed back as given.
    const shown = key === 'REDIS_URL' && env[key] ? redactUrl(env[key]) : env[key];
    return `${key}=${JSON.stringify(shown)}: ${why}`;
  });
  const config = candidate as Config;
  // A cluster needs every key of the queue in one slot: its own default prefix is a hash tag.
  if (/^rediss?\+cluster:/.test(String(config.REDIS_URL)) && !env.QUEUE_PREFIX) config.QUEUE_PREFIX = '{trainyard}';
  if (problems.length === 0) problems.push(...redisProblems(config));
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  return config;
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
