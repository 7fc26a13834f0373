import { Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';

/** A string enum that documents as `enum` in OpenAPI and validates with a clear ajv message. */
export const StringEnum = <T extends string[]>(
  values: [...T],
  opts: { default?: T[number]; description?: string } = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: values, ...opts });

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu'] as const;
export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;

/** Hyperparameters of a training job; the defaults are the reference recipe. */
const paramProperties = {
  epochs: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'Passes over the training set' }),
  batchSize: Type.Integer({ minimum: 1, maximum: 4096, default: 64, description: 'Samples per optimizer step' }),
  learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.001 }),
  hiddenLayers: Type.Array(Type.Integer({ minimum: 1, maximum: 2048 }), {
    minItems: 1,
    maxItems: 8,
    default: [128, 64],
    description: 'Units of each hidden dense layer',
  }),
  activation: StringEnum([...ACTIVATIONS], { default: 'relu', description: 'Activation of the hidden layers' }),
  optimizer: StringEnum([...OPTIMIZERS], { default: 'adam' }),
  validationSplit: Type.Number({
    minimum: 0,
    maximum: 0.5,
    default: 0,
    description: 'Fraction of the training set held out to report valLoss/valAccuracy each epoch',
  }),
  seed: Type.Integer({
    minimum: 0,
    maximum: 4294967295,
    description: 'Seeds weight initialisation and shuffling: same seed, data and backend give the same model',
  }),
};

/** Every hyperparameter, defaults filled in (what a job resource shows and the worker runs). */
export const TrainingParamsSchema = Type.Object(paramProperties, { additionalProperties: false });
export type TrainingParams = Static<typeof TrainingParamsSchema>;

type Optionalised<T extends Record<string, TSchema>> = { [K in keyof T]: TOptional<T[K]> };

/** The hyperparameters as a request gives them: all optional. */
export const trainingParamInputs = Object.fromEntries(
  Object.entries(paramProperties).map(([k, v]) => [k, Type.Optional(v)]),
) as Optionalised<typeof paramProperties>;

export const DEFAULT_PARAMS: Omit<TrainingParams, 'seed'> = {
  epochs: 5,
  batchSize: 64,
  learningRate: 0.001,
  hiddenLayers: [128, 64],
  activation: 'relu',
  optimizer: 'adam',
  validationSplit: 0,
};

/** Fills defaults; a job without a seed gets a random one so that its run can be repeated. */
export function withDefaults(input: Partial<TrainingParams>): TrainingParams {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  return {
    ...DEFAULT_PARAMS,
    hiddenLayers: [...DEFAULT_PARAMS.hiddenLayers],
    seed: Math.floor(Math.random() * 2 ** 32),
    ...defined,
  };
}

/** Inputs and classes of every network (28×28 pixels in, 10 classes out). */
const INPUTS = 784;
const OUTPUTS = 10;

/** Weights and biases of the MLP 784 → hiddenLayers → 10: what the model stores, 4 bytes each. */
export function parameterCount(hiddenLayers: readonly number[]): number {
  const sizes = [INPUTS, ...hiddenLayers, OUTPUTS];
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
export function trainingGflop(params: TrainingParams, trainSize: number): number {
  const samples = trainingSamples(trainSize, params.validationSplit);
  return (6 * parameterCount(params.hiddenLayers) * samples * params.epochs) / 1e9;
}
