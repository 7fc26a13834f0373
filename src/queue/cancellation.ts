import type { RedisClient as Redis } from './redis.js';
import { serviceKeys } from './keys.js';

/**
 * Cancellation of running jobs across machines: the API publishes the job id on a Redis
 * channel; every worker listens and aborts the job if it holds it (BullMQ's worker.cancelJob
 * aborts the processor's AbortSignal, which reaches the sandboxed trainer).
 */
export const cancelChannel = (prefix: string) => serviceKeys(prefix).cancelChannel;

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

/**
 * A pub/sub message reaches only the workers listening at that moment, so a cancel is also
 * recorded: a worker that picks the job up later (after a crash or a hand-back) cancels it then.
 */
const cancelKey = (prefix: string, jobId: string) => serviceKeys(prefix).cancel(jobId);

export async function requestCancel(redis: Redis, prefix: string, jobId: string): Promise<void> {
  await redis.set(cancelKey(prefix, jobId), '1', 'EX', 7 * 86_400);
  await publishCancel(redis, prefix, jobId);
}

export async function isCancelRequested(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.exists(cancelKey(prefix, jobId))) === 1;
}

/** The abort reasons the trainer can be stopped with. */
export const ABORT_CANCEL = 'cancel';
export const ABORT_SHUTDOWN = 'shutdown';
