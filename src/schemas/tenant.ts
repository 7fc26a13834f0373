import { Type } from '@sinclair/typebox';

/** The tenant of open mode, of keys written `key:scope`, and of everything stored before tenants. */
export const DEFAULT_TENANT = 'default';

/** Tenant names are short slugs: they become a storage path segment and a Redis key segment. */
export const TENANT_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$';
export const TENANT_NAME = new RegExp(TENANT_PATTERN);

export const TenantSchema = Type.String({
  pattern: TENANT_PATTERN,
  maxLength: 32,
  description: 'The tenant that owns the resource: a slug of 1–32 lower-case letters, digits and dashes',
  examples: ['team-a'],
});

/** The owner as resources show it: to admin keys only (null: a built-in dataset, shared by all). */
export const TenantShown = Type.String({
  pattern: TENANT_PATTERN,
  maxLength: 32,
  description: 'The tenant that owns it; shown to admin keys only',
  examples: ['team-a'],
});

export const SCOPES = ['train', 'predict', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** `?tenant=` of the listings: admin keys only; any other key is answered with its own tenant or a 403. */
export const TenantFilter = Type.String({
  pattern: TENANT_PATTERN,
  maxLength: 32,
  description: "Admin keys only: list this tenant's resources (without it, an admin sees every tenant's)",
});

export const TenantQuery = Type.Object({ tenant: Type.Optional(TenantFilter) }, { additionalProperties: false });

/**
 * Whom the quotas count: a tenant for keys that name one; within the default tenant (keys of the
 * old `key:scope` form, open mode) each key or address, as before tenants existed.
 */
export const quotaOwnerOf = (tenant: string, callerId: string): string =>
  tenant === DEFAULT_TENANT ? callerId : `tenant:${tenant}`;

/** The tenant whose stored datasets a quota owner's usage is read from. */
export const tenantOfQuotaOwner = (owner: string): string =>
  owner.startsWith('tenant:') ? owner.slice('tenant:'.length) : DEFAULT_TENANT;
