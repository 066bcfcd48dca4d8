import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { redactSecrets } from '../domain/index.js';
import {
  ADMIN_SEARCH_PATH,
  applyTenantLimits,
  DEFAULT_TENANT_LIMITS,
  refuseOpenSchemas,
  revokePublicConnect,
  tenantsOffLimits,
  type TenantLimits,
} from './postgres-hardening.js';
import { cancelOnAbort } from './cancel-on-abort.js';
import { workingTenantConnectionConfig } from './tenant-connection.js';
import { tenantPasswordVerifier } from './tenant-credentials.js';
import { TENANT_NAME_PREFIX, tenantDatabaseName, userIdFromTenantDatabaseName } from './tenant-names.js';
import { PermanentProviderError, type DatabaseProvider, type TenantDatabase } from './types.js';

export interface PostgresProviderOptions {
  /** postgres://user:password@host:port/db of a role that may CREATE ROLE and CREATE DATABASE. */
  adminUrl: string;
  /** TENANT_PASSWORD_SECRET: every tenant role's password is derived from it. */
  passwordSecret: string;
  /** TENANT_PASSWORD_SECRET_PREVIOUS: tenants not yet rotated still log in with it. */
  previousPasswordSecret?: string;
  /** The one region this server stands for. */
  region: string;
  /** Admin connections kept open (default 4): one per (local) activity slot, so no step waits for a connection. */
  poolSize?: number;
  /**
   * POSTGRES_KEEP_PUBLIC_CONNECT: leave PUBLIC's CONNECT on the admin database and template1 (a server shared
   * with other apps whose roles rely on it). By default it is revoked at start.
   */
  keepPublicConnect?: boolean;
  /** TENANT_CONNECTION_LIMIT, TENANT_STATEMENT_TIMEOUT, TENANT_IDLE_IN_TRANSACTION_TIMEOUT. */
  tenantLimits?: Partial<TenantLimits>;
  /** Bounds on every admin session, so a dead server or a stuck lock fails the attempt instead of hanging it. */
  timeouts?: AdminTimeouts;
}

export interface AdminTimeouts {
  connectMs: number;
  statementMs: number;
  lockMs: number;
}

const LIST_PAGE_SIZE = 500;

// "Already there": duplicate_object (role), duplicate_database, and unique_violation, which is what the loser of
// two concurrent CREATE ROLE / CREATE DATABASE statements gets.
const ROLE_EXISTS = new Set(['42710', '23505']);
const DATABASE_EXISTS = new Set(['42P04', '23505']);
const DATABASE_MISSING = '3D000';
const ROLE_MISSING = '42704';
/** The advisory lock name start-up takes, so workers starting together change the server one at a time. */
const START_LOCK = 'per-user-db: start-up';

/** One PostgreSQL server; each user gets a database of their own, owned by a login role of their own. */
export function createPostgresProvider(options: PostgresProviderOptions): DatabaseProvider {
  const { adminUrl, passwordSecret, previousPasswordSecret, region, poolSize, keepPublicConnect, timeouts } = options;
  const limits: TenantLimits = { ...DEFAULT_TENANT_LIMITS, ...options.tenantLimits };
  const { password: adminPassword } = parseIntoClientConfig(adminUrl);
  const pool = new pg.Pool({
    connectionString: adminUrl,
    max: poolSize ?? 4,
    application_name: 'per-user-db',
    // Awaited before the pool hands the session out, so no statement of ours is queued behind it: node-postgres
    // deprecates a query sent to a busy client (pg 9 refuses it). A failure ends the session and fails the checkout.
    onConnect: (client) => client.query(ADMIN_SEARCH_PATH),
    ...(timeouts && {
      connectionTimeoutMillis: timeouts.connectMs,
      statement_timeout: timeouts.statementMs,
      lock_timeout: timeouts.lockMs,
    }),
  });
  // An idle admin connection that breaks (server restart) is discarded by the pool; without a listener the
  // 'error' event would crash the worker.
  pool.on('error', () => undefined);

  let preparing: Promise<void> | undefined;
  /** Start-up, once per provider (again after a failure): checks and hardens the server, converges tenants. */
  function ready(): Promise<void> {
    preparing ??= prepare().catch((error: unknown) => {
      preparing = undefined;
      throw adminError(error, adminPassword);
    });
    return preparing;
  }

  /**
   * Limits are converged here rather than by reconciliation: they come from this worker's settings, so a
   * changed setting reaches every tenant with the deploy that changed it, and a converged fleet costs one query.
   */
  async function prepare(): Promise<void> {
    await lockedForTenant(START_LOCK, async (client) => {
      await refuseOpenSchemas(client);
      if (!keepPublicConnect) await revokePublicConnect(client);
    });
    for (const name of await withPooled((client) => tenantsOffLimits(client, limits))) {
      // A tenant dropped since the listing has nothing to converge.
      await lockedForTenant(name, (client) =>
        applyTenantLimits(client, name, limits).catch((error: unknown) => {
          if (codeOf(error) !== ROLE_MISSING) throw error;
        }),
      );
    }
  }

  async function withPooled<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  /** Runs admin statements, turning refused credentials into a permanent error and keeping the password out. */
  async function asAdmin<T>(work: () => Promise<T>): Promise<T> {
    await ready();
    try {
      return await work();
    } catch (error) {
      throw adminError(error, adminPassword);
    }
  }

  /**
   * Runs one tenant's DDL on one admin session holding an advisory lock on the tenant's name, so concurrent
   * creates and drops of the same tenant (from any worker) take turns: PostgreSQL answers two concurrent
   * ALTER ROLE or GRANT/REVOKE on one object with "tuple concurrently updated". The lock is the admin
   * database's while roles are the server's, so workers on other admin databases of the same server (another
   * deployment, a staging copy) do not take turns with ours: that answer is retried (every tenant step is
   * idempotent).
   */
  async function lockedForTenant<T>(
    name: string,
    work: (client: pg.PoolClient) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const client = await pool.connect();
    let unlocked = false;
    try {
      const result = await cancelOnAbort(
        signal,
        client,
        (sql, values) => pool.query(sql, values),
        async () => {
          await client.query('SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))', [name]);
          return retriedOnConcurrentUpdate(() => work(client));
        },
      );
      await client.query('SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtextextended($1, 0))', [name]);
      unlocked = true;
      return result;
    } finally {
      // A session that may still hold the lock is closed rather than pooled: closing it frees the lock.
      client.release(!unlocked);
    }
  }

  let closing: Promise<void> | undefined;

  return {
    name: 'postgres',

    ready,

    async regions() {
      return [region];
    },

    async create(userId, { region: requested, signal }) {
      const name = tenantDatabaseName(userId);
      if (requested !== undefined && requested !== region) {
        throw new PermanentProviderError(
          `Region "${requested}" is not available for the postgres provider; allowed regions: ${region}`,
          'InvalidRequest',
        );
      }
      const verifier = await tenantPasswordVerifier(passwordSecret, userId);
      await asAdmin(() =>
        lockedForTenant(
          name,
          async (client) => {
            await ensureRole(client, name, verifier);
            await applyTenantLimits(client, name, limits);
            await ensureDatabase(client, name);
            // Every role may connect to every database by default; a tenant's database is for its owner only.
            await client.query(`REVOKE ALL ON DATABASE ${pg.escapeIdentifier(name)} FROM PUBLIC`);
          },
          signal,
        ),
      );
      return { provider: 'postgres', name, region };
    },

    async adminConnection(db: TenantDatabase) {
      if (db.provider !== 'postgres') {
        throw new PermanentProviderError(`Database "${db.name}" belongs to provider ${db.provider}`, 'InvalidRequest');
      }
      const userId = userIdFromTenantDatabaseName(db.name);
      if (userId === undefined) {
        throw new PermanentProviderError(`"${db.name}" is not a tenant database name`, 'InvalidName');
      }
      // The tenant role itself, so every object the migrations create is owned by the tenant.
      return workingTenantConnectionConfig({ adminUrl, passwordSecret, previousPasswordSecret }, userId);
    },

    async drop(userId) {
      const name = tenantDatabaseName(userId);
      const id = pg.escapeIdentifier(name);
      return asAdmin(() =>
        lockedForTenant(name, async (client) => {
          const database = await runIfThere(client, `DROP DATABASE ${id} WITH (FORCE)`, DATABASE_MISSING);
          const role = await runIfThere(client, `DROP ROLE ${id}`, ROLE_MISSING);
          return { existed: database || role };
        }),
      );
    },

    async lock(userId) {
      const name = tenantDatabaseName(userId);
      const role = pg.escapeIdentifier(name);
      return asAdmin(() =>
        lockedForTenant(name, async (client) => {
          const existed = await runIfThere(client, `ALTER ROLE ${role} NOLOGIN`, ROLE_MISSING);
          // NOLOGIN refuses new sessions only; the tenant's open ones are ended too.
          if (existed) {
            await client.query(
              'SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = $1',
              [name],
            );
          }
          return { existed };
        }),
      );
    },

    async rotateCredentials(userId) {
      const name = tenantDatabaseName(userId);
      // The verifier is a pure function of the secret and the user id: setting it again changes nothing.
      const verifier = pg.escapeLiteral(await tenantPasswordVerifier(passwordSecret, userId));
      return asAdmin(() =>
        lockedForTenant(name, async (client) => ({
          existed: await runIfThere(
            client,
            `ALTER ROLE ${pg.escapeIdentifier(name)} PASSWORD ${verifier}`,
            ROLE_MISSING,
          ),
        })),
      );
    },

    async unlock(userId) {
      const name = tenantDatabaseName(userId);
      return asAdmin(() =>
        lockedForTenant(name, async (client) => ({
          existed: await runIfThere(client, `ALTER ROLE ${pg.escapeIdentifier(name)} LOGIN`, ROLE_MISSING),
        })),
      );
    },

    async *list() {
      let after = '';
      for (;;) {
        const { rows } = await asAdmin(() =>
          pool.query<{ datname: string }>(
            `SELECT datname FROM pg_catalog.pg_database WHERE pg_catalog.starts_with(datname::text, $1)
             AND datname > $2 ORDER BY datname LIMIT $3`,
            [TENANT_NAME_PREFIX, after, LIST_PAGE_SIZE],
          ),
        );
        for (const { datname } of rows) {
          if (userIdFromTenantDatabaseName(datname) !== undefined)
            yield { provider: 'postgres', name: datname, region };
        }
        const last = rows.at(-1);
        if (rows.length < LIST_PAGE_SIZE || last === undefined) return;
        after = last.datname;
      }
    },

    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}

async function ensureRole(client: pg.ClientBase, name: string, verifier: string): Promise<void> {
  const role = pg.escapeIdentifier(name);
  const password = pg.escapeLiteral(verifier);
  try {
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD ${password}`);
  } catch (error) {
    if (!ROLE_EXISTS.has(codeOf(error))) throw error;
    // Converges a role left by an earlier attempt, and re-sets the password after the secret was rotated.
    await client.query(`ALTER ROLE ${role} LOGIN PASSWORD ${password}`);
  }
}

async function ensureDatabase(client: pg.ClientBase, name: string): Promise<void> {
  const id = pg.escapeIdentifier(name);
  try {
    // FILE_COPY: far less WAL than WAL_LOG and flat tail latency (research/postgres.md).
    await client.query(`CREATE DATABASE ${id} OWNER ${id} STRATEGY FILE_COPY`);
  } catch (error) {
    if (!DATABASE_EXISTS.has(codeOf(error))) throw error;
  }
}

/** Runs a statement on one object (DROP, ALTER); answers false when the object is not there. */
async function runIfThere(client: pg.ClientBase, statement: string, missingCode: string): Promise<boolean> {
  try {
    await client.query(statement);
    return true;
  } catch (error) {
    if (codeOf(error) === missingCode) return false;
    throw error;
  }
}

/** SQLSTATE XX000 is every internal error; only this message means "someone else changed the row first". */
const CONCURRENT_UPDATE = 'tuple concurrently updated';
const CONCURRENT_UPDATE_ATTEMPTS = 10;

async function retriedOnConcurrentUpdate<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const raced = codeOf(error) === 'XX000' && (error as Error).message === CONCURRENT_UPDATE;
      if (!raced || attempt === CONCURRENT_UPDATE_ATTEMPTS) throw error;
      // The other session's statement commits within milliseconds; jittered, growing pauses keep retries apart
      // (about 2.5 s in all before the tenth attempt).
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
    }
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Maps an admin failure: refused credentials and missing privileges are permanent. Any error that still
 * carries the admin password (a driver echoing a connection string) has it blanked out.
 */
function adminError(error: unknown, adminPassword: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const secrets = typeof adminPassword === 'string' ? [adminPassword] : [];
  const message = redactSecrets(error.message, secrets);
  switch (codeOf(error)) {
    case '28P01':
    case '28000':
      return new PermanentProviderError(
        `PostgreSQL refused the admin credentials (DATABASE_URL): ${message}`,
        'BadCredentials',
      );
    case '42501':
      return new PermanentProviderError(
        `The PostgreSQL admin role (DATABASE_URL) lacks a privilege it needs: ${message}`,
        'BadCredentials',
      );
  }
  error.message = message;
  if (error.stack) error.stack = redactSecrets(error.stack, secrets);
  return error;
}
