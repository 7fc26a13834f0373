import { DIGIT_CLASSES, INPUT_SIZE } from '../schemas/image-shape.js';
import type { TrainingParams } from '../schemas/training-params.js';

export {
  ACTIVATIONS,
  DEFAULT_PARAMS,
  OPTIMIZERS,
  StringEnum,
  TrainingParamsSchema,
  trainingParamInputs,
  withDefaults,
  type TrainingParams,
} from '../schemas/training-params.js';

/**
 * Weights and biases of the MLP 784 → hiddenLayers → classes (the dataset's; ten by default):
 * what the model stores, 4 bytes each.
 */
export function parameterCount(hiddenLayers: readonly number[], classes = DIGIT_CLASSES): number {
  const sizes = [INPUT_SIZE, ...hiddenLayers, classes];
  let count = 0;
  for (let i = 1; i < sizes.length; i++) count += sizes[i - 1]! * sizes[i]! + sizes[i]!;
  return count;
}

/**
 * batchSize × the hidden units of all layers: the activations one step holds (about 25 bytes
 * each with their gradients), and with the layers' widths what bounds the time of one step.
 */
export const batchUnits = (params: Pick<TrainingParams, 'batchSize' | 'hiddenLayers'>): number =>
  params.batchSize * params.hiddenLayers.reduce((sum, units) => sum + units, 0);

/** Samples trained on per epoch: the training split less the held-out validation rows. */
export const trainingSamples = (trainSize: number, validationSplit: number): number =>
  trainSize - Math.floor(trainSize * validationSplit);

/** Training work in GFLOP: about 6 per parameter per sample (2 forward, 4 backward), every epoch. */
export function trainingGflop(params: TrainingParams, trainSize: number, classes = DIGIT_CLASSES): number {
  const samples = trainingSamples(trainSize, params.validationSplit);
  return (6 * parameterCount(params.hiddenLayers, classes) * samples * params.epochs) / 1e9;
}
