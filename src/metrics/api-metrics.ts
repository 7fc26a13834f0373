import * as tf from '@tensorflow/tfjs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATES, type JobState } from '../schemas/job.js';

export interface ApiMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  predictBatchSize: Histogram;
  /** Prediction requests by the protocol they spoke (trainyard, v2, tfserving) and status. */
  inferenceRequests: Counter<'protocol' | 'status_code'>;
  modelCacheHits: Counter;
  modelCacheMisses: Counter;
  /** Where the jobs-by-state gauge reads its figures when scraped. */
  countJobs(source: () => Promise<Record<JobState, number>>): void;
}

/**
 * The API process's Prometheus metrics, in a registry of its own (not prom-client's global
 * one), so that several apps in one process, as in tests, do not collide.
 */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let jobCounts: (() => Promise<Record<JobState, number>>) | undefined;
  new Gauge({
    name: 'trainyard_jobs',
    help: 'Training jobs by state, as the queue holds them',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      if (!jobCounts) return;
      // A scrape while Redis is away shows no job figures rather than failing the whole scrape.
      const counts = await jobCounts().catch(() => undefined);
      if (!counts) return;
      for (const state of JOB_STATES) this.set({ state }, counts[state]);
    },
  });
  // Loaded models and the predictor's scratch tensors live outside V8's heap: a leak there shows
  // here before it shows in RSS.
  new Gauge({
    name: 'trainyard_tensors',
    help: 'TensorFlow.js tensors alive in this process (loaded models included)',
    registers: [registry],
    collect() {
      this.set(tf.memory().numTensors);
    },
  });
  new Gauge({
    name: 'trainyard_tensor_bytes',
    help: 'Bytes held by TensorFlow.js tensors in this process',
    registers: [registry],
    collect() {
      this.set(tf.memory().numBytes);
    },
  });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    predictBatchSize: new Histogram({
      name: 'trainyard_predict_batch_size',
      help: 'Images per forward pass after dynamic batching',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    inferenceRequests: new Counter({
      name: 'trainyard_inference_requests_total',
      help: "Prediction requests by protocol (trainyard: /v1's own, v2: Open Inference Protocol, tfserving) and status code",
      labelNames: ['protocol', 'status_code'],
      registers: [registry],
    }),
    modelCacheHits: new Counter({
      name: 'trainyard_model_cache_hits_total',
      help: 'Predictions served by a model already loaded',
      registers: [registry],
    }),
    modelCacheMisses: new Counter({
      name: 'trainyard_model_cache_misses_total',
      help: 'Predictions that had to load their model from storage',
      registers: [registry],
    }),
    countJobs(source) {
      jobCounts = source;
    },
  };
}
