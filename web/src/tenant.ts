import { api } from './api.js';
import { byId } from './dom.js';

interface WhoAmI {
  caller: string;
  tenant: string;
  scopes: string[];
  keyed: boolean;
}

/** The tenant filter an admin picked ('' for every tenant); other keys always see their own tenant. */
let filter = '';

/** The key's own tenant when it is an admin's (whose listings otherwise show every tenant). */
let adminOwn = '';

/**
 * `?tenant=<own>` for an admin, whose jobs run in its own tenant: the datasets it can train on
 * are the built-ins and its own tenant's, not every tenant's it can see.
 */
export const ownTenantQuery = (): string => (adminOwn ? `?tenant=${encodeURIComponent(adminOwn)}` : '');

/** `&tenant=…` for the listings while an admin filters by tenant, else nothing. */
export const tenantQuery = (): string => (filter ? `&tenant=${encodeURIComponent(filter)}` : '');

/**
 * Shows which tenant the key belongs to, and for admin keys a tenant filter over the listings.
 * Runs again whenever the key changes; `onFilter` reloads what the filter narrows.
 */
export function createTenantBadge(onFilter: () => void) {
  const badge = byId('tenant-badge');
  const select = byId<HTMLSelectElement>('tenant-filter');
  select.addEventListener('change', () => {
    filter = select.value;
    onFilter();
  });

  return {
    async refresh(): Promise<void> {
      try {
        const me = await api<WhoAmI>('/v1/whoami');
        badge.textContent = me.keyed ? `Tenant: ${me.tenant}` : 'Open mode (no API keys)';
        badge.hidden = false;
        const admin = me.scopes.includes('admin');
        adminOwn = admin ? me.tenant : '';
        select.hidden = !admin;
        if (!admin) {
          filter = '';
          return;
        }
        const { items } = await api<{ items: { tenant: string }[] }>('/v1/admin/tenants');
        select.replaceChildren(
          new Option('All tenants', ''),
          ...items.map((u) => new Option(u.tenant, u.tenant, false, u.tenant === filter)),
        );
      } catch {
        // Without a valid key there is no tenant to show; the key dialog says why.
        badge.hidden = true;
        select.hidden = true;
        adminOwn = '';
      }
    },
  };
}
