import { DEFAULT_TENANT } from '../schemas/tenant.js';
import { checkPrefix, type ObjectStorage } from './types.js';

/**
 * Where a tenant's objects live: the default tenant at the root (so everything stored before
 * tenants is its own, unmoved), every other tenant under `tenants/<name>/`. A tenant's listing
 * is a listing of its own prefix: it never reads another tenant's keys.
 */
export const tenantPrefix = (tenant: string): string =>
  tenant === DEFAULT_TENANT ? '' : checkPrefix(`tenants/${tenant}/`);

/** The objects of one tenant, as a storage of their own: keys in and out are relative to its prefix. */
export function tenantStorage(storage: ObjectStorage, tenant: string): ObjectStorage {
  const prefix = tenantPrefix(tenant);
  return prefix === '' ? storage : prefixedStorage(storage, prefix);
}

/**
 * A store's per-tenant views, each made once over the tenant's own storage and then reused:
 * `make` gets the tenant's storage and the same `forTenant`, so any view can reach the others.
 */
export function tenantViews<T>(
  root: ObjectStorage,
  make: (storage: ObjectStorage, tenant: string, forTenant: (tenant: string) => T) => T,
): (tenant: string) => T {
  const views = new Map<string, T>();
  const forTenant = (tenant: string): T => {
    let view = views.get(tenant);
    if (view === undefined) views.set(tenant, (view = make(tenantStorage(root, tenant), tenant, forTenant)));
    return view;
  };
  return forTenant;
}

export function prefixedStorage(storage: ObjectStorage, prefix: string): ObjectStorage {
  const at = (key: string) => `${prefix}${key}`;
  return {
    location: `${storage.location.replace(/\/?$/, '/')}${prefix}`,
    put: (key, body) => storage.put(at(key), body),
    putFile: (key, path) => storage.putFile(at(key), path),
    putIfAbsent: (key, body) => storage.putIfAbsent(at(key), body),
    get: (key) => storage.get(at(key)),
    getStream: (key) => storage.getStream(at(key)),
    list: async (under) => (await storage.list(at(under))).map((key) => key.slice(prefix.length)),
    delete: (key) => storage.delete(at(key)),
    deletePrefix: (under) => storage.deletePrefix(at(under)),
    check: (timeoutMs) => storage.check(timeoutMs),
  };
}

/** The tenants other than the default that have anything stored (for admins and the sweeper). */
export async function storedTenants(storage: ObjectStorage): Promise<string[]> {
  const names = new Set<string>();
  for (const key of await storage.list('tenants/')) {
    const name = /^tenants\/([^/]+)\//.exec(key)?.[1];
    if (name) names.add(name);
  }
  return [...names].sort();
}
