/**
 * A training job's hyperparameters: the schema (validation, types, OpenAPI) and its defaults.
 * Here on the ground floor so that the job and model schemas need nothing of training.
 */
import { Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

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

/** The reference recipe: every default of the schema, written once there. */
export const DEFAULT_PARAMS = Value.Default(TrainingParamsSchema, {}) as Omit<TrainingParams, 'seed'>;

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
