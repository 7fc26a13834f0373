import type { Config } from '../config.js';
import { BadRequestError } from '../errors.js';
import { batchUnits, parameterCount, trainingGflop, trainingSamples, type TrainingParams } from '../training/params.js';

/** The settings a job is held to: checked at submission, and again by the worker before it trains. */
export type JobLimits = Pick<Config, 'MAX_MODEL_PARAMS' | 'MAX_BATCH_UNITS' | 'MAX_JOB_GFLOP' | 'JOB_TIMEOUT_SECONDS'>;

const n = (value: number) => value.toLocaleString('en-US');

/**
 * The network's size and one step's activations, which need no dataset: a network past
 * MAX_MODEL_PARAMS or a batch past MAX_BATCH_UNITS would take a trainer process's memory too
 * far, and a step past the second would delay a cancel or a run-time limit (docs/performance.md).
 */
export function checkShape(
  params: TrainingParams,
  limits: Pick<JobLimits, 'MAX_MODEL_PARAMS' | 'MAX_BATCH_UNITS'>,
  classes: number,
) {
  const count = parameterCount(params.hiddenLayers, classes);
  if (count > limits.MAX_MODEL_PARAMS) {
    throw new BadRequestError(
      `the network has ${n(count)} parameters; at most ${n(limits.MAX_MODEL_PARAMS)} (MAX_MODEL_PARAMS): use fewer or narrower hiddenLayers`,
      'MODEL_TOO_LARGE',
    );
  }
  const units = batchUnits(params);
  if (units > limits.MAX_BATCH_UNITS) {
    const hidden = units / params.batchSize;
    throw new BadRequestError(
      `batchSize × hidden units is ${n(params.batchSize)} × ${n(hidden)} = ${n(units)}; at most ${n(limits.MAX_BATCH_UNITS)} (MAX_BATCH_UNITS): use a smaller batchSize or fewer units`,
      'BATCH_TOO_LARGE',
    );
  }
}

/** The whole job's training work on a dataset of `trainSize` training images in `classes` classes (MAX_JOB_GFLOP). */
export function checkWork(
  params: TrainingParams,
  trainSize: number,
  limits: Pick<JobLimits, 'MAX_JOB_GFLOP'>,
  classes: number,
) {
  const gflop = trainingGflop(params, trainSize, classes);
  if (gflop > limits.MAX_JOB_GFLOP) {
    const samples = trainingSamples(trainSize, params.validationSplit);
    throw new BadRequestError(
      `the job needs about ${n(Math.ceil(gflop))} GFLOP (6 × ${n(parameterCount(params.hiddenLayers, classes))} parameters × ` +
        `${n(samples)} training samples × ${n(params.epochs)} epochs); at most ${n(limits.MAX_JOB_GFLOP)} ` +
        '(MAX_JOB_GFLOP): use fewer epochs or a smaller network',
      'JOB_TOO_LARGE',
    );
  }
}

/** The run-time limit a job gets: its own when it asks for one, never above JOB_TIMEOUT_SECONDS. */
export function jobTimeout(requested: number | undefined, limits: Pick<JobLimits, 'JOB_TIMEOUT_SECONDS'>): number {
  if (requested === undefined) return limits.JOB_TIMEOUT_SECONDS;
  if (requested > limits.JOB_TIMEOUT_SECONDS) {
    throw new BadRequestError(
      `timeoutSeconds is ${n(requested)}; at most ${n(limits.JOB_TIMEOUT_SECONDS)} (JOB_TIMEOUT_SECONDS)`,
      'TIMEOUT_TOO_LONG',
    );
  }
  return requested;
}
