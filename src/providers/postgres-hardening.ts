import pg from 'pg';
import { TENANT_NAME_PREFIX, userIdFromTenantDatabaseName } from './tenant-names.js';
import { PermanentProviderError } from './types.js';

/**
 * What every tenant role gets: at most `connectionLimit` sessions, and session defaults that end runaway
 * statements and transactions left open. (The timeouts are defaults: a tenant may SET them in its own session.)
 */
export interface TenantLimits {
  connectionLimit: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_TENANT_LIMITS: TenantLimits = {
  connectionLimit: 10,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 60_000,
};

/**
 * Admin sessions resolve names in pg_catalog only (pg_temp last, as for SECURITY DEFINER functions): a
 * function or operator someone created in another schema of the admin database is never picked for ours,
 * even where its argument types match better than the built-in's. Operators in admin SQL rely on this;
 * functions and tables are also written out with their schema.
 */
export const ADMIN_SEARCH_PATH = 'SET search_path = pg_catalog, pg_temp';

/**
 * Refuses an admin database in which every role (PUBLIC) may create objects: the default before PostgreSQL 15,
 * kept by pg_upgrade. A tenant could plant functions there that another tool's admin session would run.
 */
export async function refuseOpenSchemas(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ schema: string; database: string }>(
    `SELECT n.nspname AS schema, pg_catalog.current_database() AS database FROM pg_catalog.pg_namespace n
     WHERE pg_catalog.has_schema_privilege('public', n.oid, 'CREATE') ORDER BY n.nspname`,
  );
  if (rows.length === 0) return;
  const schemas = rows.map((r) => `"${r.schema}"`).join(', ');
  const revokes = rows.map((r) => `REVOKE CREATE ON SCHEMA ${pg.escapeIdentifier(r.schema)} FROM PUBLIC;`);
  throw new PermanentProviderError(
    `The admin database "${rows[0]!.database}" (DATABASE_URL) lets every role (PUBLIC) CREATE objects in ` +
      `schema ${schemas}: a tenant could plant functions there that run as the admin. Run ` +
      `${revokes.join(' ')} in it (the default since PostgreSQL 15), then start again.`,
    'InvalidRequest',
  );
}

/**
 * Tenants connect to their own database only: PUBLIC loses CONNECT on the admin database and template1 (tenant
 * databases never had it). Only what is still granted is revoked, so the usual start changes nothing.
 */
export async function revokePublicConnect(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_catalog.pg_database
     WHERE datname IN (pg_catalog.current_database(), 'template1')
       AND pg_catalog.has_database_privilege('public', datname, 'CONNECT')`,
  );
  for (const { datname } of rows) {
    await client.query(`REVOKE CONNECT ON DATABASE ${pg.escapeIdentifier(datname)} FROM PUBLIC`);
  }
}

/** The role defaults as PostgreSQL stores them in pg_db_role_setting (milliseconds, no unit). */
function roleSettings(limits: TenantLimits): string[] {
  return [
    `statement_timeout=${limits.statementTimeoutMs}`,
    `idle_in_transaction_session_timeout=${limits.idleInTransactionTimeoutMs}`,
  ];
}

/** Gives one tenant role the limits: its connection limit and its session defaults. */
export async function applyTenantLimits(client: pg.ClientBase, name: string, limits: TenantLimits): Promise<void> {
  const role = pg.escapeIdentifier(name);
  await client.query(`ALTER ROLE ${role} CONNECTION LIMIT ${limits.connectionLimit}`);
  for (const setting of roleSettings(limits)) {
    const [key, value] = setting.split('=') as [string, string];
    await client.query(`ALTER ROLE ${role} SET ${key} = ${value}`);
  }
}

/** Tenant roles whose limits differ from `limits` (created before, or under other settings). */
export async function tenantsOffLimits(client: pg.ClientBase, limits: TenantLimits): Promise<string[]> {
  const { rows } = await client.query<{ rolname: string }>(
    `SELECT r.rolname FROM pg_catalog.pg_roles r
     WHERE pg_catalog.starts_with(r.rolname::text, $1)
       AND (r.rolconnlimit <> $2 OR NOT EXISTS (
         SELECT FROM pg_catalog.pg_db_role_setting s
         WHERE s.setrole = r.oid AND s.setdatabase = 0 AND s.setconfig @> $3::text[]))
     ORDER BY r.rolname`,
    [TENANT_NAME_PREFIX, limits.connectionLimit, roleSettings(limits)],
  );
  return rows.map((r) => r.rolname).filter((name) => userIdFromTenantDatabaseName(name) !== undefined);
}
