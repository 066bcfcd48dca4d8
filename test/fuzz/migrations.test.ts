/**
 * Fuzzing the migration runner: random folders of migration files (bad names, gaps, duplicates) and random
 * histories against real PostgreSQL (edited applied files, failing SQL, transaction control). Every refusal is
 * one of the documented error classes naming the file, and a failed apply leaves the tenant exactly as it was.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import {
  applyMigrations,
  loadMigrations,
  MigrationChecksumError,
  MigrationFailedError,
  MigrationFilesError,
  MigrationHistoryError,
  schemaVersion,
  type Migration,
} from '../../src/migrations/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { fuzzRuns, fuzzSeed } from './runs.js';

const VALID_NAME = /^\d{4}_[a-z0-9][a-z0-9_]*\.sql$/;
const params = (numRuns: number) => ({ numRuns, seed: fuzzSeed(), endOnFailure: true, includeErrorInReport: true });

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function folder(files: ReadonlyMap<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'per-user-db-fuzz-migrations-'));
  dirs.push(dir);
  for (const [file, sql] of files) await writeFile(join(dir, file), sql);
  return dir;
}

const pad = (n: number) => String(n).padStart(4, '0');
const lowerName = fc.stringMatching(/^[a-z0-9][a-z0-9_]{0,20}$/);
/** Names a file system accepts that are not NNNN_name.sql but still end in .sql. */
const misnamed = fc
  .oneof(
    fc
      .tuple(fc.integer({ min: 0, max: 99_999 }), fc.string({ unit: 'grapheme', maxLength: 20 }))
      .map(([n, s]) => `${n}_${s}.sql`),
    fc.tuple(fc.integer({ min: 1, max: 9999 }), lowerName).map(([n, s]) => `${pad(n)}_${s.toUpperCase()}X.sql`),
    fc.tuple(fc.integer({ min: 1, max: 9999 }), lowerName).map(([n, s]) => `${pad(n)}-${s}.sql`),
    fc.tuple(fc.integer({ min: 1, max: 9999 }), lowerName).map(([n, s]) => `${pad(n)}_${s} x.sql`),
    fc.tuple(fc.integer({ min: 1, max: 9999 }), lowerName).map(([n, s]) => `${pad(n)}__${s}é.sql`),
    fc.constantFrom('.sql', 'init.sql', '0001_.sql', '1_init.sql', '00001_init.sql', '0001_init.sql.sql'),
  )
  .filter(
    (name) => !VALID_NAME.test(name) && !name.includes('/') && !name.includes('\0') && Buffer.byteLength(name) < 200,
  );

describe('migration files fuzz (loadMigrations)', () => {
  test('random folders: loaded in order when numbered 1…n and well named, else MigrationFilesError naming a file', async () => {
    const started = Date.now();
    const runs = fuzzRuns(300);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 2 }),
        fc.array(misnamed, { maxLength: 2 }),
        fc.array(fc.constantFrom('README.md', 'notes.txt', '0009_x.sql.bak', '0003_x.SQL'), { maxLength: 2 }),
        async (versions, duplicates, badNames, others) => {
          const files = new Map<string, string>();
          for (const v of versions) files.set(`${pad(v)}_m${v}.sql`, `SELECT ${v};`);
          for (const v of duplicates) files.set(`${pad(v)}_dup${v}.sql`, `SELECT ${v};`);
          for (const name of badNames) files.set(name, 'SELECT 1;');
          for (const name of others) files.set(name, 'not a migration');
          const dir = await folder(files);
          const numbered = [...files.keys()].filter((f) => VALID_NAME.test(f)).map((f) => Number(f.slice(0, 4)));
          const sorted = [...numbered].sort((a, b) => a - b);
          const inSequence = sorted.every((v, i) => v === i + 1);
          const misnamedFiles = [...files.keys()].filter((f) => f.endsWith('.sql') && !VALID_NAME.test(f));
          if (misnamedFiles.length === 0 && inSequence) {
            const loaded = await loadMigrations(dir);
            assert.deepEqual(
              loaded.map((m) => m.version),
              sorted,
            );
            return;
          }
          const error = await loadMigrations(dir).then(
            () => assert.fail(`loaded ${[...files.keys()].join(', ')}`),
            (e: unknown) => e,
          );
          assert.ok(error instanceof MigrationFilesError, String(error));
          assert.match(error.message, /misnamed|version|sequence/);
          if (misnamedFiles.length > 0) {
            assert.ok(
              misnamedFiles.some((f) => error.message.includes(`"${f}"`)),
              error.message,
            );
          } else {
            assert.match(error.message, /\d{4}_[a-z0-9_]+\.sql/, error.message);
          }
        },
      ),
      params(runs),
    );
    console.log(`migrations/files: ${runs} cases in ${Date.now() - started} ms`);
  });
});

/** SQL that fails for sure, some of it after statements that succeed in the same file. */
const failingSql = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'SELECT 1/0;',
      'INSERT INTO no_such_table VALUES (1);',
      'CREATE TABLE per_user_db_schema_migrations (id int);',
      'CREAT TABLE x (id int);',
      'CREATE TABLE half (id int); SELECT 1/0;',
      'CREATE TABLE half (id int); COMMIT; SELECT 1/0;',
      'CREATE TABLE half (id int); ROLLBACK; CREATE TABLE after_rollback (id int); SELECT 1/0;',
      'CREATE TABLE half (id int); END; BEGIN; SELECT 1/0;',
      "CREATE TABLE half (id int); SAVEPOINT s; SELECT 'x'::int;",
      'CREATE INDEX CONCURRENTLY half_idx ON t1 (id);',
      'VACUUM;',
      'CREATE TABLE half (id int); ALTER TABLE half ADD COLUMN id int;',
    ),
  },
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
    .map((s) => `CREATE TABLE half (id int); SELECT ${JSON.stringify(s)}x;`),
);

interface Db {
  connection: pg.ClientConfig;
  name: string;
}

describe('migration apply fuzz (real PostgreSQL)', () => {
  let adminUrl: string;
  const databases: string[] = [];

  async function admin(sql: string) {
    const client = new pg.Client(adminUrl);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
  let db: Db;
  /** The property's one database, emptied for each case (much faster than a database a case). */
  async function emptiedDatabase(): Promise<Db> {
    const client = new pg.Client(db.connection);
    await client.connect();
    try {
      const { rows } = await client.query<{ nspname: string }>(
        `SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`,
      );
      for (const { nspname } of rows) await client.query(`DROP SCHEMA ${pg.escapeIdentifier(nspname)} CASCADE`);
      await client.query('CREATE SCHEMA public');
    } finally {
      await client.end();
    }
    return db;
  }
  /** Every table of the tenant, in every schema but the system ones: what a failed apply must leave untouched. */
  async function snapshot(db: Db): Promise<string> {
    const client = new pg.Client(db.connection);
    await client.connect();
    try {
      const tables = await client.query<{ t: string }>(
        `SELECT schemaname || '.' || tablename AS t FROM pg_tables
          WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
      );
      const present = tables.rows.some((r) => r.t === 'public.per_user_db_schema_migrations');
      const record = present
        ? (
            await client.query(
              `SELECT version, name, checksum FROM public.per_user_db_schema_migrations ORDER BY version`,
            )
          ).rows
        : [];
      return JSON.stringify({ tables: tables.rows.map((r) => r.t), record });
    } finally {
      await client.end();
    }
  }
  const migration = (version: number, name: string, sql: string): Migration => ({
    version,
    name,
    sql,
    checksum: randomBytes(32).toString('hex'),
  });
  const creating = (version: number) =>
    migration(version, `t${version}`, `CREATE TABLE t${version} (id int PRIMARY KEY);`);

  before(async () => {
    adminUrl = await testDatabaseUrl();
    const name = `fuzz_migrations_${randomBytes(6).toString('hex')}`;
    databases.push(name);
    await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    db = { connection: { connectionString: url.toString() }, name };
  });
  after(async () => {
    for (const name of databases) await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  });

  test('regression: a COMMIT inside a file is refused, so a later failure leaves no half-applied table', async () => {
    const tenant = await emptiedDatabase();
    const before = await snapshot(tenant);
    const files = [creating(1), migration(2, 'commits', 'CREATE TABLE half (id int); COMMIT; SELECT 1/0;')];
    await assert.rejects(applyMigrations(tenant.connection, files), (error: unknown) => {
      assert.ok(error instanceof MigrationFailedError, String(error));
      assert.match(error.message, /0002_commits\.sql failed .*transaction/);
      return true;
    });
    assert.equal(await snapshot(tenant), before);
  });

  test('a failing file, an edited or renamed applied file, or a database ahead of the files: typed error, nothing changed', async () => {
    const started = Date.now();
    const runs = fuzzRuns(150);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.oneof(
          { weight: 3, arbitrary: fc.record({ kind: fc.constant('failing' as const), at: fc.nat(), sql: failingSql }) },
          fc.record({ kind: fc.constant('edited' as const), at: fc.nat(), sql: fc.string({ maxLength: 40 }) }),
          fc.record({ kind: fc.constant('renamed' as const), at: fc.nat(), name: lowerName }),
          fc.record({ kind: fc.constant('ahead' as const), by: fc.integer({ min: 1, max: 3 }) }),
        ),
        async (appliedCount, pendingCount, fault) => {
          const db = await emptiedDatabase();
          const applied = Array.from({ length: appliedCount }, (_, i) => creating(i + 1));
          if (appliedCount > 0) await applyMigrations(db.connection, applied);
          const before = await snapshot(db);
          let files = [...applied, ...Array.from({ length: pendingCount }, (_, i) => creating(appliedCount + i + 1))];
          let expected: new (...args: never[]) => Error;
          let file: string | undefined;
          if (fault.kind === 'failing') {
            const at = appliedCount + (fault.at % pendingCount);
            files[at] = migration(at + 1, `broken${at + 1}`, fault.sql);
            expected = MigrationFailedError;
            file = `${pad(at + 1)}_broken${at + 1}.sql`;
          } else if (fault.kind === 'ahead') {
            if (appliedCount === 0) return;
            files = applied.slice(0, Math.max(0, appliedCount - fault.by));
            expected = MigrationHistoryError;
          } else {
            if (appliedCount === 0) return;
            const at = fault.at % appliedCount;
            const original = files[at]!;
            files[at] =
              fault.kind === 'edited'
                ? { ...original, sql: `${original.sql}${fault.sql}`, checksum: randomBytes(32).toString('hex') }
                : { ...original, name: fault.name === original.name ? `${fault.name}x` : fault.name };
            expected = MigrationChecksumError;
            file = `${pad(at + 1)}_${files[at]!.name}.sql`;
          }
          const error = await applyMigrations(db.connection, files).then(
            (r) => assert.fail(`applied ${JSON.stringify(r)}`),
            (e: unknown) => e,
          );
          assert.ok(error instanceof expected, `${expected.name} expected, got ${String(error)}`);
          if (file) assert.ok(error.message.includes(file), error.message);
          assert.doesNotMatch(error.message, /\n\s+at /);
          if (error instanceof MigrationFailedError)
            assert.match(error.message, new RegExp(`still at version ${appliedCount}\\b`));
          assert.equal(await snapshot(db), before, 'a failed apply changed the tenant');
          assert.equal(await schemaVersion(db.connection), appliedCount);
        },
      ),
      params(runs),
    );
    console.log(`migrations/apply: ${runs} cases in ${Date.now() - started} ms`);
  });
});
