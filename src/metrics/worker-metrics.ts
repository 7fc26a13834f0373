import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
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

export interface MetricsEndpoint {
  /** 0 picks a free port. */
  port: number;
  /** Loopback unless configured: the endpoint shows job figures and process details. */
  host?: string;
  /** When set, a scrape needs `Authorization: Bearer <key>` (METRICS_KEY, as on the API). */
  key?: string;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Whether the request carries `Authorization: Bearer <key>`, compared as digests in constant time. */
function authorised(req: IncomingMessage, expected: Buffer | undefined): boolean {
  if (!expected) return true;
  const token = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  return token !== undefined && timingSafeEqual(digest(token), expected);
}

/** Serves `GET /metrics` on its own port; resolves once listening. */
export function serveMetrics(registry: Registry, endpoint: MetricsEndpoint): Promise<Server> {
  const expected = endpoint.key ? digest(endpoint.key) : undefined;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    if (!authorised(req, expected)) {
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' })
        .end('metrics need "Authorization: Bearer <METRICS_KEY>"\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint.port, endpoint.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
