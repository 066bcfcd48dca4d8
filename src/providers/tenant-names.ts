import { clerkUserIdSchema } from '../domain/index.js';
import { PermanentProviderError } from './types.js';

/** Every tenant database and role name starts with this, so tenants are told apart from other databases. */
export const TENANT_NAME_PREFIX = 'tenant_';

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated, which could merge two tenants. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * The database name (and role name) for a user: the prefix plus the user id, case kept. Refuses, rather than
 * let PostgreSQL truncate, a name longer than 63 bytes.
 */
export function tenantDatabaseName(userId: string): string {
  const parsed = clerkUserIdSchema.safeParse(userId);
  if (!parsed.success) {
    throw new PermanentProviderError(`Invalid user id: ${parsed.error.issues[0]?.message}`, 'InvalidName');
  }
  const name = `${TENANT_NAME_PREFIX}${parsed.data}`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new PermanentProviderError(
      `Invalid user id: the database name would be ${bytes} bytes, PostgreSQL allows at most ${MAX_IDENTIFIER_BYTES}`,
      'InvalidName',
    );
  }
  return name;
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
