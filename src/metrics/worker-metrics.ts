import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface WorkerMetrics {
  registry: Registry;
  jobDuration: Histogram<'outcome'>;
  samplesPerSecond: Gauge;
  epochs: Counter;
}

/** A worker's Prometheus metrics: the training figures plus Node's process metrics. */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    jobDuration: new Histogram({
      name: 'trainyard_job_duration_seconds',
      help: 'Time from a job starting on a worker to its end, by outcome',
      labelNames: ['outcome'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    samplesPerSecond: new Gauge({
      name: 'trainyard_training_samples_per_second',
      help: 'Training throughput of the last epoch this worker finished',
      registers: [registry],
    }),
    epochs: new Counter({
      name: 'trainyard_epochs_total',
      help: 'Training epochs this worker finished',
      registers: [registry],
    }),
  };
}

/** Serves `GET /metrics` on its own port; resolves once listening (port 0 picks a free one). */
export function serveMetrics(registry: Registry, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
