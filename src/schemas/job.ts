import { Type, type Static } from '@sinclair/typebox';
import { StringEnum, TrainingParamsSchema, trainingParamInputs } from './training-params.js';
import { IsoDate, Nullable } from './common.js';
import { ModelMetricsSchema } from './model.js';
import { TenantFilter, TenantSchema, TenantShown } from './tenant.js';
import { JOB_STATES } from './job-states.js';
import { ModelNameSchema, PromoteRuleSchema, PromotionSchema, deriveModelName, type Promotion } from './registry.js';

export { FINAL_JOB_STATES, JOB_STATES, isFinal, type FinalJobState, type JobState } from './job-states.js';

/** The failure reason that marks a job as cancelled rather than failed. */
export const CANCELLED_REASON = 'cancelled by request';

/** The highest run-time limit any job may have (30 days); JOB_TIMEOUT_SECONDS sets the usual one. */
export const MAX_TIMEOUT_SECONDS = 30 * 86_400;

const TimeoutSeconds = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT_SECONDS, description });

export const EpochRecordSchema = Type.Object({
  epoch: Type.Integer({ minimum: 1 }),
  loss: Type.Number({ description: 'Mean training loss over the epoch' }),
  accuracy: Type.Number(),
  valLoss: Type.Optional(Type.Number()),
  valAccuracy: Type.Optional(Type.Number()),
  seconds: Type.Number({ description: 'Wall time of the epoch' }),
});

export const ProgressSchema = Type.Object({
  epoch: Type.Integer({ minimum: 0, description: 'Epochs finished' }),
  epochs: Type.Integer(),
  loss: Nullable(Type.Number()),
  accuracy: Nullable(Type.Number()),
  valLoss: Type.Optional(Type.Number()),
  valAccuracy: Type.Optional(Type.Number()),
  samplesPerSecond: Nullable(Type.Number({ description: 'Training throughput of the last epoch' })),
  history: Type.Array(EpochRecordSchema),
  current: Type.Optional(
    Type.Object(
      {
        epoch: Type.Integer({ minimum: 1 }),
        samples: Type.Integer({ minimum: 0, description: 'Training samples of this epoch done so far' }),
        samplesTotal: Type.Integer({ minimum: 0 }),
      },
      { description: 'The epoch under way, reported about once a second while it runs' },
    ),
  ),
});

export const TrainingJobSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    tenant: Type.Optional(TenantShown),
    state: StringEnum([...JOB_STATES]),
    dataset: Type.String(),
    params: TrainingParamsSchema,
    timeoutSeconds: Nullable(
      TimeoutSeconds(
        'Run-time limit of the job, counted over all its attempts; past it the job fails and is not retried. ' +
          "null: the workers' JOB_TIMEOUT_SECONDS",
      ),
    ),
    createdAt: IsoDate,
    startedAt: Nullable(IsoDate),
    finishedAt: Nullable(IsoDate),
    progress: ProgressSchema,
    model: Type.String({ description: 'The registered model this job adds a version to' }),
    promote: Nullable(PromoteRuleSchema),
    modelId: Nullable(Type.String({ description: "The new version's model id" })),
    modelVersion: Nullable(Type.Integer({ description: 'The version this job added, once completed' })),
    promotion: Nullable(PromotionSchema),
    metrics: Nullable(ModelMetricsSchema),
    error: Nullable(Type.Object({ message: Type.String() })),
  },
  { $id: 'TrainingJob', title: 'TrainingJob' },
);

export const CreateTrainingJobSchema = Type.Object(
  {
    dataset: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, default: 'mnist-sample', description: 'Dataset id' }),
    ),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'A label for the job and its model' }),
    ),
    model: Type.Optional({
      ...ModelNameSchema,
      description: "The registered model to add a version to; default: derived from the job's name, else its dataset",
    }),
    promote: Type.Optional(PromoteRuleSchema),
    ...trainingParamInputs,
    timeoutSeconds: Type.Optional(
      TimeoutSeconds(
        "Run-time limit of this job in seconds, at most the service's JOB_TIMEOUT_SECONDS (the default). " +
          'Not a hyperparameter: the same job with another limit trains the same model',
      ),
    ),
  },
  { additionalProperties: false, $id: 'CreateTrainingJob', title: 'CreateTrainingJob' },
);

export const ListJobsQuery = Type.Object(
  {
    state: Type.Optional(StringEnum([...JOB_STATES])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    tenant: Type.Optional(TenantFilter),
  },
  { additionalProperties: false },
);

export type EpochRecord = Static<typeof EpochRecordSchema>;
export type Progress = Static<typeof ProgressSchema>;
export type TrainingJob = Static<typeof TrainingJobSchema>;
export type CreateTrainingJob = Static<typeof CreateTrainingJobSchema>;

/** Whether a job's progress as BullMQ holds it (any JSON a worker reported) has the shape of Progress. */
export function isProgress(value: unknown): value is Progress {
  return typeof value === 'object' && value !== null && Array.isArray((value as Progress).history);
}

/** What a queued job carries to the worker (validated again there). */
export const TrainingJobDataSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  dataset: Type.String({ minLength: 1, maxLength: 100 }),
  params: TrainingParamsSchema,
  /** The tenant that owns the job and its model; absent on jobs queued before tenants (the default tenant). */
  tenant: Type.Optional(TenantSchema),
  /** Who submitted it (the caller's id), held to MAX_RUNNING_JOBS_PER_KEY; absent: no one to count. */
  owner: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** The job's run-time limit; absent on jobs queued before limits were recorded. */
  timeoutSeconds: Type.Optional(TimeoutSeconds('Run-time limit')),
  /** The registered model it adds a version to; absent on jobs queued before names (derived from the name). */
  model: Type.Optional(ModelNameSchema),
  promote: Type.Optional(PromoteRuleSchema),
  /** The caller that submitted it, recorded in the version's lineage. */
  caller: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** Run time of earlier attempts, in ms, recorded while they ran. */
  runMs: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type TrainingJobData = Static<typeof TrainingJobDataSchema>;

export interface TrainingJobResult {
  modelId: string;
  metrics: Static<typeof ModelMetricsSchema>;
  /** The version registered; absent on jobs completed before the registry. */
  version?: number;
  promotion?: Promotion;
  /**
   * The last epoch's progress, written with the completion itself: a Redis failover can lose the
   * last progress writes a primary acknowledged before it replicated them, never this.
   */
  progress?: Progress;
}

/** The registered model a job adds to: its own, or (jobs queued before names) one derived from its name. */
export const modelNameOf = (data: Pick<TrainingJobData, 'model' | 'name'>): string =>
  data.model ?? deriveModelName(data.name);
