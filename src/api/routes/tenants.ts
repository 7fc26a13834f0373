import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { TenantQuery } from '../../schemas/tenant.js';
import { TenantUsageSchema, WhoAmISchema, type TenantUsage } from '../../schemas/tenant-usage.js';
import { errors, list, ref } from '../route-schemas.js';
import { callerTenant, knownTenants } from '../tenancy.js';

const tenants: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs, datasets, models, config } = app.deps;

  app.get(
    '/v1/whoami',
    {
      schema: {
        tags: ['tenants'],
        summary: 'The calling key: its tenant and scopes (any key may ask)',
        response: { 200: ref(WhoAmISchema) },
      },
    },
    async (request) => ({
      caller: request.caller?.id ?? `ip:${request.ip}`,
      tenant: callerTenant(request),
      scopes: [...(request.caller?.scopes ?? [])],
      keyed: !!app.deps.keyring,
    }),
  );

  async function usageOf(tenant: string): Promise<TenantUsage> {
    const [jobCounts, stored, own] = await Promise.all([
      jobs.counts(tenant),
      datasets.forTenant(tenant).usage(),
      models.forTenant(tenant).list(),
    ]);
    return {
      tenant,
      jobs: jobCounts,
      datasets: { count: stored.datasets, bytes: stored.bytes },
      models: { count: own.length, bytes: own.reduce((sum, m) => sum + m.sizeBytes, 0) },
      quotas: {
        queuedJobs: config.MAX_QUEUED_JOBS_PER_KEY,
        runningJobs: config.MAX_RUNNING_JOBS_PER_KEY,
        datasets: config.MAX_DATASETS_PER_KEY,
        datasetBytes: config.MAX_DATASET_STORAGE_PER_KEY,
      },
    };
  }

  app.get(
    '/v1/admin/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Admin keys only: every tenant (or ?tenant=) with its jobs by state, datasets and models',
        description:
          'Tenants are those the API keys name, the default tenant, and any that has submitted a job or stored ' +
          'a dataset. Each is read from its own index and storage prefix.',
        querystring: TenantQuery,
        response: { 200: list(TenantUsageSchema), ...errors(400) },
      },
    },
    async (request) => {
      const names = request.query.tenant ? [request.query.tenant] : await knownTenants(app.deps);
      return { items: await Promise.all(names.map(usageOf)) };
    },
  );
};

export default tenants;
