import type { Redis } from 'ioredis';

/**
 * Cancellation of running jobs across machines: the API publishes the job id on a Redis
 * channel; every worker listens and aborts the job if it holds it (BullMQ's worker.cancelJob
 * aborts the processor's AbortSignal, which reaches the sandboxed trainer).
 */
export const cancelChannel = (prefix: string) => `${prefix}:training:cancel`;

export async function publishCancel(redis: Redis, prefix: string, jobId: string): Promise<void> {
  await redis.publish(cancelChannel(prefix), jobId);
}

/** Subscribes `subscriber` (a connection of its own) and calls onCancel for each request. */
export async function listenForCancels(
  subscriber: Redis,
  prefix: string,
  onCancel: (jobId: string) => void,
): Promise<void> {
  const channel = cancelChannel(prefix);
  subscriber.on('message', (from: string, jobId: string) => {
    if (from === channel) onCancel(jobId);
  });
  await subscriber.subscribe(channel);
}

/** The abort reasons the trainer can be stopped with. */
export const ABORT_CANCEL = 'cancel';
export const ABORT_SHUTDOWN = 'shutdown';
