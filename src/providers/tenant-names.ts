import { clerkUserIdSchema } from '../domain/index.js';
import { PermanentProviderError } from './types.js';

/** Every tenant database and role name starts with this, so tenants are told apart from other databases. */
export const TENANT_NAME_PREFIX = 'tenant_';

/**
 * The database name (and role name) for a user: the prefix plus the user id, case kept. The id rule caps its
 * length so the name fits PostgreSQL's 63 bytes: PostgreSQL would silently truncate a longer one, which could
 * merge two tenants.
 */
export function tenantDatabaseName(userId: string): string {
  const parsed = clerkUserIdSchema.safeParse(userId);
  if (!parsed.success) {
    throw new PermanentProviderError(`Invalid user id: ${parsed.error.issues[0]?.message}`, 'InvalidName');
  }
  return `${TENANT_NAME_PREFIX}${parsed.data}`;
}

/** The user id a tenant database name was derived from, or undefined when the name is not a tenant's. */
export function userIdFromTenantDatabaseName(name: string): string | undefined {
  if (!name.startsWith(TENANT_NAME_PREFIX)) return undefined;
  const userId = name.slice(TENANT_NAME_PREFIX.length);
  try {
    return tenantDatabaseName(userId) === name ? userId : undefined;
  } catch {
    return undefined;
  }
}
