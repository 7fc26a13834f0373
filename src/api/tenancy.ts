import type { FastifyRequest } from 'fastify';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';
import { hasScope } from './api-keys.js';
import type { AppDeps } from './deps.js';

/**
 * The tenant rules of every route, in one place. A caller creates in its own tenant and reads
 * its own tenant's resources; another tenant's id answers 404 like an id that does not exist.
 * An admin reads every tenant's (or one, with `?tenant=`) and may cancel and delete anything.
 */

/** The tenant new resources of this request belong to. */
export const callerTenant = (request: FastifyRequest): string => request.caller?.tenant ?? DEFAULT_TENANT;

export const isAdmin = (request: FastifyRequest): boolean => hasScope(request.caller, 'admin');

/**
 * Whose resources a listing shows: the caller's tenant, or for an admin the `?tenant=` named
 * (undefined: every tenant). A non-admin naming another tenant is refused outright.
 */
export function listScope(request: FastifyRequest, filter: string | undefined): string | undefined {
  if (isAdmin(request)) return filter;
  const own = callerTenant(request);
  if (filter !== undefined && filter !== own) {
    throw new ForbiddenError(
      `only an admin key may list another tenant's resources; this key belongs to tenant "${own}"`,
      'TENANT_FORBIDDEN',
    );
  }
  return own;
}

/** Whose resource an id may name: the caller's tenant, or for an admin any (undefined). */
export const idScope = (request: FastifyRequest): string | undefined =>
  isAdmin(request) ? undefined : callerTenant(request);

/** The default tenant, the tenants the keys name and those that have stored anything. */
export async function knownTenants(deps: Pick<AppDeps, 'keyring' | 'jobs'>): Promise<string[]> {
  const names = new Set([DEFAULT_TENANT, ...(deps.keyring?.tenants() ?? []), ...(await deps.jobs.tenants())]);
  return [...names].sort();
}

/** The tenants a request may look in for a resource by id: its own first, then (admins) the others. */
export async function tenantsToSearch(request: FastifyRequest, deps: Pick<AppDeps, 'keyring' | 'jobs'>) {
  const own = callerTenant(request);
  if (!isAdmin(request)) return [own];
  return [own, ...(await knownTenants(deps)).filter((t) => t !== own)];
}

/**
 * Finds a resource by id in the tenants the request may see: `lookup` throws NotFoundError
 * where it is not. The answer for a tenant it may not see is that same NotFoundError.
 */
export async function locate<T>(
  request: FastifyRequest,
  deps: Pick<AppDeps, 'keyring' | 'jobs'>,
  lookup: (tenant: string) => Promise<T>,
): Promise<{ tenant: string; value: T }> {
  let missing: unknown;
  for (const tenant of await tenantsToSearch(request, deps)) {
    try {
      return { tenant, value: await lookup(tenant) };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      missing ??= err;
    }
  }
  throw missing;
}

/**
 * A resource as this caller may see it: the owning tenant (its own field, or `tenant` when the
 * resource does not carry one) is shown to admin keys only.
 */
export function shownTo<T extends object>(request: FastifyRequest, resource: T, tenant?: string): T {
  if (isAdmin(request)) return tenant === undefined ? resource : { ...resource, tenant };
  if (!('tenant' in resource)) return resource;
  const { tenant: _, ...rest } = resource as T & { tenant: unknown };
  return rest as T;
}

export const allShownTo = <T extends object>(request: FastifyRequest, items: T[], tenant?: string) => ({
  items: items.map((item) => shownTo(request, item, tenant)),
});
