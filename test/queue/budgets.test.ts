import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { checkShape, checkWork, jobTimeout } from '../../src/queue/budgets.js';
import { Network } from '../../src/training/network.js';
import { DEFAULT_PARAMS, batchUnits, parameterCount, trainingGflop } from '../../src/training/params.js';

const limits = {
  MAX_MODEL_PARAMS: 8_000_000,
  MAX_BATCH_UNITS: 2_097_152,
  MAX_JOB_GFLOP: 45_000,
  JOB_TIMEOUT_SECONDS: 7200,
};
const params = (over: Partial<typeof DEFAULT_PARAMS> = {}) => ({ ...DEFAULT_PARAMS, seed: 1, ...over });

/** The error a check throws, or undefined. */
function refusal(check: () => unknown): BadRequestError | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    return err as BadRequestError;
  }
}

describe('training budgets', () => {
  it.each([[[128, 64]], [[1]], [[2048, 7, 300]], [[5, 5, 5, 5, 5, 5, 5, 5]]])(
    'counts the parameters the network holds, %j',
    (hidden) => {
      const net = new Network(hidden, 'relu', 1);
      expect(parameterCount(hidden)).toBe(net.values.length);
      net.dispose();
    },
  );

  it('knows the reference network and the worst one the schema allows', () => {
    expect(parameterCount([128, 64])).toBe(109_386);
    expect(parameterCount(Array(8).fill(2048))).toBe(31_002_634);
    expect(batchUnits({ batchSize: 4096, hiddenLayers: [128, 64] })).toBe(786_432);
  });

  it('estimates work as 6 × parameters × training samples × epochs', () => {
    // Fashion-MNIST, the reference recipe: 6 × 109,386 × 60,000 × 5.
    expect(trainingGflop(params(), 60_000)).toBeCloseTo(196.8948, 4);
    // A validation split of 0.25 leaves 45,000 images to train on.
    expect(trainingGflop(params({ validationSplit: 0.25 }), 60_000)).toBeCloseTo(147.6711, 4);
  });

  it('refuses a network past MAX_MODEL_PARAMS, saying its size, the cap and the setting', () => {
    const err = refusal(() => checkShape(params({ hiddenLayers: Array(8).fill(2048), batchSize: 1 }), limits, 10));
    expect(err?.code).toBe('MODEL_TOO_LARGE');
    expect(err?.message).toMatch(/^the network has 31,002,634 parameters; at most 8,000,000 \(MAX_MODEL_PARAMS\)/);
    expect(refusal(() => checkShape(params({ hiddenLayers: [2048, 2048, 1055] }), limits, 10))).toBeUndefined();
  });

  it("counts the output layer that the dataset's classes make", () => {
    // 784 → 2048 → 2048 → 1055 → N: 7,976,287 parameters for ten classes, 8,071,327 for a hundred.
    const wide = params({ hiddenLayers: [2048, 2048, 1055] });
    expect(parameterCount(wide.hiddenLayers, 10)).toBe(7_976_287);
    expect(parameterCount(wide.hiddenLayers, 100)).toBe(8_071_327);
    expect(parameterCount([128, 64], 3)).toBe(108_931);
    const err = refusal(() => checkShape(wide, limits, 100));
    expect(err?.code).toBe('MODEL_TOO_LARGE');
    expect(err?.message).toMatch(/^the network has 8,071,327 parameters; at most 8,000,000 \(MAX_MODEL_PARAMS\)/);
    expect(refusal(() => checkShape(wide, limits, 10))).toBeUndefined();
    // The work grows with them too: 6 × 8,071,327 × 1,000 × 1 = 48.4 GFLOP.
    expect(trainingGflop(params({ hiddenLayers: [2048, 2048, 1055], epochs: 1 }), 1000, 100)).toBeCloseTo(48.427962, 5);
  });

  it('refuses batchSize × hidden units past MAX_BATCH_UNITS, and takes it exactly at the cap', () => {
    const err = refusal(() => checkShape(params({ batchSize: 4096, hiddenLayers: [513] }), limits, 10));
    expect(err?.code).toBe('BATCH_TOO_LARGE');
    expect(err?.message).toMatch(/is 4,096 × 513 = 2,101,248; at most 2,097,152 \(MAX_BATCH_UNITS\)/);
    expect(refusal(() => checkShape(params({ batchSize: 4096, hiddenLayers: [512] }), limits, 10))).toBeUndefined();
  });

  it('refuses work past MAX_JOB_GFLOP with the figures it is made of', () => {
    // 6 × 1,628,170 × 60,000 × 100 = 58,614.1 GFLOP.
    const big = params({ hiddenLayers: [2048], epochs: 100 });
    const err = refusal(() => checkWork(big, 60_000, limits, 10));
    expect(err?.code).toBe('JOB_TOO_LARGE');
    expect(err?.message).toMatch(
      /^the job needs about 58,615 GFLOP \(6 × 1,628,170 parameters × 60,000 training samples × 100 epochs\); at most 45,000 \(MAX_JOB_GFLOP\)/,
    );
    expect(refusal(() => checkWork({ ...big, epochs: 76 }, 60_000, limits, 10))).toBeUndefined();
  });

  it('gives a job the setting, or its own lower limit', () => {
    expect(jobTimeout(undefined, limits)).toBe(7200);
    expect(jobTimeout(1, limits)).toBe(1);
    expect(jobTimeout(7200, limits)).toBe(7200);
    const err = refusal(() => jobTimeout(7201, limits));
    expect(err?.code).toBe('TIMEOUT_TOO_LONG');
    expect(err?.message).toBe('timeoutSeconds is 7,201; at most 7,200 (JOB_TIMEOUT_SECONDS)');
  });
});
