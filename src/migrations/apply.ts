import pg, { type ClientConfig } from 'pg';
import { cancelOnAbort } from '../providers/cancel-on-abort.js';
import { MigrationChecksumError, MigrationFailedError, MigrationHistoryError } from './errors.js';
import { assertSequence, migrationFile, type Migration } from './load.js';

export interface MigrationResult {
  fromVersion: number;
  toVersion: number;
  /** Versions applied by this call, in order; empty when the database was already up to date. */
  applied: number[];
}

/** Schema-qualified, so a migration that changes search_path cannot hide the record from the runner. */
const TABLE = 'public.per_user_db_schema_migrations';
/** Advisory locks are per database, so this one key serialises the runners of one tenant only. */
const LOCK_KEY = '8098983514393391474'; // the bytes of "per_user" as a bigint

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings a database up to the newest migration: in ONE transaction under a transaction-scoped advisory lock,
 * checks that the files already applied are unchanged, applies the pending ones in order and records them.
 * A failure anywhere rolls everything back; a concurrent run waits for the lock, then finds nothing to do.
 * Migrations must therefore be transactional SQL (no CREATE INDEX CONCURRENTLY, no COMMIT).
 */
export async function applyMigrations(
  connection: ClientConfig,
  migrations: readonly Migration[],
  { signal }: { signal?: AbortSignal } = {},
): Promise<MigrationResult> {
  assertSequence(migrations);
  // The tenant role may cancel its own sessions, so the cancel goes through a second session of the same role.
  const cancel = (statement: string, values: unknown[]) => withClient(connection, (c) => c.query(statement, values));
  return withClient(connection, (client) =>
    cancelOnAbort(signal, client, cancel, async () => {
      await client.query('BEGIN');
      try {
        const result = await applyPending(client, migrations);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }),
  );
}

/** The version a database's schema is at: 0 when no migration was ever applied. */
export async function schemaVersion(connection: ClientConfig): Promise<number> {
  return withClient(connection, readSchemaVersion);
}

/** The same, on a session the caller already holds (a pooled client). */
export async function readSchemaVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ present: boolean }>(
    `SELECT pg_catalog.to_regclass($1) IS NOT NULL AS present`,
    [TABLE],
  );
  if (!rows[0]?.present) return 0;
  const result = await client.query<{ version: number }>(
    `SELECT coalesce(pg_catalog.max(version), 0) AS version FROM ${TABLE}`,
  );
  return result.rows[0]?.version ?? 0;
}

async function applyPending(client: pg.Client, migrations: readonly Migration[]): Promise<MigrationResult> {
  await client.query('SELECT pg_catalog.pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (
       version integer PRIMARY KEY,
       name text NOT NULL,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT pg_catalog.now()
     )`,
  );
  const { rows } = await client.query<AppliedRow>(`SELECT version, name, checksum FROM ${TABLE} ORDER BY version`);
  verifyApplied(rows, migrations);
  const fromVersion = rows.length;
  const pending = migrations.slice(fromVersion);
  for (const migration of pending) {
    try {
      await runWithoutTransactionControl(client, migration.sql);
    } catch (error) {
      throw new MigrationFailedError(migrationFile(migration), fromVersion, error);
    }
    await client.query(`INSERT INTO ${TABLE} (version, name, checksum) VALUES ($1, $2, $3)`, [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
  }
  return { fromVersion, toVersion: fromVersion + pending.length, applied: pending.map((m) => m.version) };
}

/**
 * Runs a file's statements through PL/pgSQL's EXECUTE, which refuses COMMIT, ROLLBACK and the like: sent as a
 * plain query, a COMMIT in a file would commit half the batch, and a failure after it could no longer be undone.
 */
async function runWithoutTransactionControl(client: pg.Client, sql: string): Promise<void> {
  await client.query(`SELECT pg_catalog.set_config('per_user_db.migration_sql', $1, true)`, [sql]);
  await client.query(`DO $$ BEGIN EXECUTE pg_catalog.current_setting('per_user_db.migration_sql'); END $$`);
}

/** The record must be versions 1…n, each matching its file exactly. */
function verifyApplied(rows: readonly AppliedRow[], migrations: readonly Migration[]): void {
  rows.forEach((row, index) => {
    if (row.version !== index + 1) {
      throw new MigrationHistoryError(
        `The database's migration record skips from version ${index} to ${row.version}; it was changed by hand`,
      );
    }
    const migration = migrations[index];
    if (!migration) {
      throw new MigrationHistoryError(
        `The database is at schema version ${rows.length}, newer than the newest migration file ` +
          `(version ${migrations.length}); it was migrated by a newer release`,
      );
    }
    if (row.name !== migration.name || row.checksum !== migration.checksum) {
      const file = migrationFile(migration);
      throw new MigrationChecksumError(
        `Migration ${file} was changed after it was applied (applied as ${migrationFile(row)}, checksum ` +
          `${row.checksum.slice(0, 12)}…; the file now has ${migration.checksum.slice(0, 12)}…). ` +
          'Applied migrations must never be edited: restore the file and add a new one instead.',
        file,
      );
    }
  });
}

async function withClient<T>(connection: ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(connection);
  // A connection lost between queries is reported by the next query; without a listener it would crash.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
