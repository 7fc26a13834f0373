import * as tf from '@tensorflow/tfjs';
import { LRUCache } from 'lru-cache';
import { ConflictError } from '../errors.js';
import { denseStack } from './dense-stack.js';
import { nativeForward } from './native-forward.js';
import type { NativeAddon } from '../native/addon.js';
import type { ModelMetadata, ModelStore } from '../models/store.js';
import { INPUT_SIZE, NORMALISE } from '../schemas/image-shape.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';

export interface Prediction {
  label: string;
  class: number;
  confidence: number;
  probabilities: number[];
}

export interface Predictor {
  /**
   * Predicts a batch of 784-byte images with the given model of `tenant` (default: the default
   * tenant). Another tenant's model id is not found. Which model a request means is the API's choice.
   */
  predict(
    modelId: string,
    inputs: Uint8Array[],
    tenant?: string,
  ): Promise<{ modelId: string; predictions: Prediction[] }>;
  /** The stored metadata of a model (labels, preprocessing rule); cheap once the model is loaded. */
  describe(modelId: string, tenant?: string): Promise<ModelMetadata>;
  /** Forgets a loaded model (after it was deleted). */
  evict(modelId: string, tenant?: string): void;
}

export interface PredictorObserver {
  /** Rows in one forward pass. */
  batch(rows: number): void;
  /** Whether a prediction found its model loaded. */
  cache(hit: boolean): void;
}

export interface PredictorOptions {
  models: ModelStore;
  /** Most models kept loaded (MODEL_CACHE_SIZE). */
  cacheSize: number;
  /** Most bytes of models kept loaded, by their stored size (MODEL_CACHE_BYTES); default: no byte bound. */
  cacheBytes?: number;
  /** Rows × parameters of one forward pass; default ROW_PARAMS_PER_PASS. */
  rowParamsPerPass?: number;
  observe?: PredictorObserver;
  /** The OpenBLAS addon: models it can run (what this service trains) run on it, the rest on TensorFlow.js. */
  native?: NativeAddon;
}

interface Loaded {
  meta: ModelMetadata;
  /** One forward pass: the probabilities of `rows` normalised rows. */
  pass: (x: Float32Array, rows: number) => Promise<Float32Array>;
  /** Frees the weights. */
  free: () => void;
  /** Rows one forward pass of this model may take. */
  rowsPerPass: number;
  /** Evicted from the cache: its weights are freed once its queued rows are done. */
  evicted: boolean;
}

/** Most rows one forward pass takes; larger requests are split, smaller ones grouped. */
const MAX_COALESCED_ROWS = 256;
/**
 * A forward pass costs in proportion to rows × parameters (docs/performance.md). 64 M
 * row-parameters keeps one pass, which holds the event loop, within ~20 ms: 22 rows of a
 * 2.9 M-parameter model, while the default 784-128-64-10 network (109 k parameters) still runs
 * 256 rows at once.
 */
export const ROW_PARAMS_PER_PASS = 64_000_000;

interface PendingRequest {
  x: Float32Array;
  rows: number;
  /** Rows already through the model. */
  done: number;
  out?: Float32Array;
  resolve: (probs: Float32Array) => void;
  reject: (err: unknown) => void;
}

const count = (n: number) => n.toLocaleString('en-US');
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs models from the store, loaded lazily into an LRU cache bounded by count and by bytes (an
 * evicted model's tensors are freed). Inputs are normalised exactly as in training.
 *
 * Concurrent requests for the same model are coalesced, as TF Serving and Triton batch
 * dynamically: requests that arrive within one turn of the event loop are queued and run
 * together on the next `setImmediate`, so a lone request waits for nothing and a busy server
 * pays one kernel launch per group instead of one per request. A forward pass takes at most
 * `rowParamsPerPass / parameters` rows; the rest wait for the next turn, so no pass holds the
 * event loop for long and requests arriving meanwhile join the following pass.
 */
export function createPredictor({
  models,
  cacheSize,
  cacheBytes,
  rowParamsPerPass = ROW_PARAMS_PER_PASS,
  observe,
  native,
}: PredictorOptions): Predictor {
  const cache = new LRUCache<string, Promise<Loaded>>({
    max: cacheSize,
    ...(cacheBytes ? { maxSize: cacheBytes } : {}),
    // Freed on a later turn, and only once no queued rows need it: predictions already queued
    // for this model still run on it instead of on freed weights. A load that failed was reported
    // to the requests that awaited it; it has nothing to free.
    dispose: (entry) =>
      void entry
        .then((l) => {
          l.evicted = true;
          if (!pending.has(l)) setImmediate(() => !pending.has(l) && l.free());
        })
        .catch(() => {}),
  });
  const pending = new Map<Loaded, PendingRequest[]>();

  // Cached by tenant and id: a hit must never hand one tenant's model to another.
  const cacheKey = (tenant: string, id: string) => `${tenant}/${id}`;

  async function load(tenant: string, id: string): Promise<Loaded> {
    const key = cacheKey(tenant, id);
    const cached = cache.get(key);
    observe?.cache(cached !== undefined);
    if (cached) return cached;
    const store = models.forTenant(tenant);
    const meta = await store.get(id);
    if (cacheBytes && meta.sizeBytes > cacheBytes)
      throw new ConflictError(
        `model ${id} is ${count(meta.sizeBytes)} bytes; this API keeps at most ${count(cacheBytes)} bytes of models loaded (MODEL_CACHE_BYTES)`,
        'MODEL_TOO_LARGE',
      );
    const raced = cache.get(key); // another request started loading it meanwhile
    if (raced) return raced;
    const entry = store.load(id).then(async (model) => {
      const params = Math.max(1, model.countParams());
      const rowsPerPass = Math.max(1, Math.min(MAX_COALESCED_ROWS, Math.floor(rowParamsPerPass / params)));
      return { meta, rowsPerPass, evicted: false, ...(await runnable(model)) };
    });
    // Sized before it loads, so that concurrent loads of many models cannot exceed the budget.
    cache.set(key, entry, cacheBytes ? { size: Math.max(1, meta.sizeBytes) } : {});
    entry.catch(() => cache.peek(key) === entry && cache.delete(key));
    return entry;
  }

  /** One turn: at most one forward pass, then the next on a later turn if rows remain. */
  async function run(loaded: Loaded): Promise<void> {
    const queue = pending.get(loaded)!;
    // Rows in arrival order up to the pass's budget; a large request is split over passes.
    const parts: { req: PendingRequest; from: number; rows: number }[] = [];
    let rows = 0;
    for (const req of queue) {
      if (rows === loaded.rowsPerPass) break;
      const take = Math.min(req.rows - req.done, loaded.rowsPerPass - rows);
      parts.push({ req, from: req.done, rows: take });
      rows += take;
    }
    try {
      const x =
        parts.length === 1 && parts[0]!.rows === parts[0]!.req.rows
          ? parts[0]!.req.x
          : concat(parts.map((p) => p.req.x.subarray(p.from * INPUT_SIZE, (p.from + p.rows) * INPUT_SIZE)));
      observe?.batch(rows);
      const probs = await loaded.pass(x, rows);
      const classes = probs.length / rows;
      let offset = 0;
      for (const { req, from, rows: n } of parts) {
        if (req.rows === n) req.out = probs.subarray(offset * classes, (offset + n) * classes);
        else
          (req.out ??= new Float32Array(req.rows * classes)).set(
            probs.subarray(offset * classes, (offset + n) * classes),
            from * classes,
          );
        req.done += n;
        offset += n;
      }
    } catch (err) {
      for (const { req } of parts) {
        req.done = req.rows;
        req.reject(err);
      }
    }
    while (queue.length > 0 && queue[0]!.done === queue[0]!.rows) {
      const req = queue.shift()!;
      if (req.out) req.resolve(req.out);
    }
    if (queue.length > 0) setImmediate(() => void run(loaded));
    else {
      pending.delete(loaded);
      if (loaded.evicted) setImmediate(() => !pending.has(loaded) && loaded.free());
    }
  }

  /** The model on the addon when it can run there (its TensorFlow.js copy is freed), else on TensorFlow.js. */
  async function runnable(model: tf.LayersModel): Promise<Pick<Loaded, 'pass' | 'free'>> {
    let fast;
    try {
      fast = native && nativeForward(model, native);
    } catch {
      fast = undefined; // the addon refused it: TensorFlow.js runs it as before
    }
    if (fast) {
      model.dispose();
      return { pass: async (x, rows) => fast.infer(x, rows), free: () => fast.dispose() };
    }
    await warmUp(model);
    const forward = denseStack(model) ?? ((x: tf.Tensor2D) => model.predict(x) as tf.Tensor);
    return {
      async pass(x, rows) {
        const output = tf.tidy(() => forward(tf.tensor2d(x, [rows, INPUT_SIZE])));
        try {
          return (await output.data()) as Float32Array;
        } finally {
          output.dispose();
        }
      },
      free: () => model.dispose(),
    };
  }

  function enqueue(loaded: Loaded, x: Float32Array, rows: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      let queue = pending.get(loaded);
      if (!queue) {
        queue = [];
        pending.set(loaded, queue);
        setImmediate(() => void run(loaded));
      }
      queue.push({ x, rows, done: 0, resolve, reject });
    });
  }

  return {
    async predict(modelId, inputs, tenant = DEFAULT_TENANT) {
      const id = modelId;
      const loaded = await load(tenant, id);
      const x = new Float32Array(inputs.length * INPUT_SIZE);
      for (let i = 0, at = 0; i < inputs.length; i++) {
        const pixels = inputs[i]!;
        for (let p = 0; p < INPUT_SIZE; p++, at++) x[at] = NORMALISE[pixels[p]!]!;
      }
      const probs = await enqueue(loaded, x, inputs.length);
      const { labels } = loaded.meta;
      const classes = labels.length;
      const predictions = inputs.map((_, i) => {
        const row = Array.from(probs.subarray(i * classes, (i + 1) * classes));
        let best = 0;
        for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
        return { label: labels[best]!, class: best, confidence: row[best]!, probabilities: row };
      });
      return { modelId: id, predictions };
    },
    async describe(modelId, tenant = DEFAULT_TENANT) {
      // From the loaded model when there is one (not counted as a cache use: predict counts its
      // own), else the stored metadata alone, so that a refused request loads no weights.
      const loaded = await cache.peek(cacheKey(tenant, modelId))?.catch(() => undefined);
      return loaded ? loaded.meta : models.forTenant(tenant).get(modelId);
    },
    evict(modelId, tenant = DEFAULT_TENANT) {
      cache.delete(cacheKey(tenant, modelId));
    },
  };
}

/**
 * The first pass over fresh weights is several times slower than the next (the wasm backend
 * packs each weight matrix for XNNPACK on first use: docs/performance.md).
 * Running one row through each layer on its own turn spreads that over the layers.
 */
async function warmUp(model: tf.LayersModel): Promise<void> {
  let x: tf.Tensor = tf.zeros([1, INPUT_SIZE]);
  try {
    for (const layer of model.layers) {
      const input = x;
      const y = tf.tidy(() => layer.apply(input) as tf.Tensor);
      x.dispose();
      x = y;
      await nextTurn();
    }
  } catch {
    // Not a plain stack of layers: the first prediction packs the weights instead.
  } finally {
    x.dispose();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
