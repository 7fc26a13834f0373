import { Type, type Static } from '@sinclair/typebox';
import { JOB_STATES } from './job.js';
import { SCOPES, TenantSchema } from './tenant.js';

const Count = Type.Integer({ minimum: 0 });
const Limit = (description: string) => Type.Integer({ minimum: 0, description });

export const TenantUsageSchema = Type.Object(
  {
    tenant: TenantSchema,
    jobs: Type.Object(
      Object.fromEntries(JOB_STATES.map((s) => [s, Count])) as Record<(typeof JOB_STATES)[number], typeof Count>,
      {
        description: "The tenant's jobs by state (as kept: finished jobs for the retention period)",
      },
    ),
    datasets: Type.Object({
      count: Count,
      bytes: Type.Integer({ minimum: 0, description: 'As stored, uncompressed' }),
    }),
    models: Type.Object({ count: Count, bytes: Type.Integer({ minimum: 0 }) }),
    quotas: Type.Object(
      {
        queuedJobs: Limit('MAX_QUEUED_JOBS_PER_KEY (0: no limit)'),
        runningJobs: Limit('MAX_RUNNING_JOBS_PER_KEY (0: no limit)'),
        datasets: Limit('MAX_DATASETS_PER_KEY'),
        datasetBytes: Limit('MAX_DATASET_STORAGE_PER_KEY'),
      },
      {
        description:
          'The limits each quota owner is held to: the tenant, or for the default tenant each of its keys (or client addresses)',
      },
    ),
  },
  { $id: 'TenantUsage', title: 'TenantUsage' },
);

export const WhoAmISchema = Type.Object(
  {
    caller: Type.String({
      description: '`key:<12 hex of the key digest>`, or `ip:<address>` while the service runs open',
    }),
    tenant: TenantSchema,
    scopes: Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s)))),
    keyed: Type.Boolean({ description: 'Whether the service requires API keys' }),
  },
  { $id: 'WhoAmI', title: 'WhoAmI' },
);

export type TenantUsage = Static<typeof TenantUsageSchema>;
