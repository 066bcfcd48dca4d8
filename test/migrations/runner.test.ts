import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  applyMigrations,
  latestVersion,
  loadMigrations,
  MigrationChecksumError,
  MigrationFailedError,
  MigrationFilesError,
  MigrationHistoryError,
  schemaVersion,
  type Migration,
} from '../../src/migrations/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';

const CREATE_ITEMS = 'CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);';
const SEED_ITEMS = `INSERT INTO items VALUES (1, 'one');`;
const ADD_COLUMN = 'ALTER TABLE items ADD COLUMN note text;\nCREATE INDEX items_label_idx ON items (label);';

let adminUrl: string;
const databases: string[] = [];
const dirs: string[] = [];

before(async () => {
  adminUrl = await testDatabaseUrl();
});

after(async () => {
  for (const name of databases) await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function adminQuery(sql: string) {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the shared test server. */
async function freshDatabase(): Promise<pg.ClientConfig> {
  const name = `migrations_test_${randomBytes(6).toString('hex')}`;
  databases.push(name);
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { connectionString: url.toString() };
}

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'per-user-db-migrations-'));
  dirs.push(dir);
  for (const [file, sql] of Object.entries(files)) await writeFile(join(dir, file), sql);
  return dir;
}

async function rows<T extends pg.QueryResultRow>(connection: pg.ClientConfig, sql: string): Promise<T[]> {
  const client = new pg.Client(connection);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const tableExists = async (connection: pg.ClientConfig, table: string) =>
  (await rows<{ present: boolean }>(connection, `SELECT to_regclass('${table}') IS NOT NULL AS present`))[0]?.present;

describe('loadMigrations', () => {
  test('reads NNNN_name.sql files in version order, ignores other files, and checksums each', async () => {
    const dir = await migrationsDir({
      '0003_add_note.sql': ADD_COLUMN,
      '0001_create_items.sql': CREATE_ITEMS,
      'README.md': 'not a migration',
      '0002_seed.sql': SEED_ITEMS,
    });
    const migrations = await loadMigrations(dir);
    assert.deepEqual(
      migrations.map((m) => [m.version, m.name]),
      [
        [1, 'create_items'],
        [2, 'seed'],
        [3, 'add_note'],
      ],
    );
    assert.equal(migrations[0]?.sql, CREATE_ITEMS);
    assert.match(migrations[0]?.checksum ?? '', /^[0-9a-f]{64}$/);
    assert.equal(latestVersion(migrations), 3);
    assert.equal(latestVersion([]), 0);
  });

  test('CRLF line endings do not change the checksum', async () => {
    const lf = await loadMigrations(await migrationsDir({ '0001_a.sql': 'SELECT 1;\nSELECT 2;\n' }));
    const crlf = await loadMigrations(await migrationsDir({ '0001_a.sql': 'SELECT 1;\r\nSELECT 2;\r\n' }));
    assert.equal(crlf[0]?.checksum, lf[0]?.checksum);
  });

  test('refuses misnamed files, duplicate versions and gaps, naming the files', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ '0001_create-items.sql': CREATE_ITEMS }, /"0001_create-items\.sql".*misnamed/],
      [{ '1_create_items.sql': CREATE_ITEMS }, /"1_create_items\.sql".*misnamed/],
      [
        { '0001_a.sql': CREATE_ITEMS, '0001_b.sql': SEED_ITEMS },
        /Two migrations have version 1: 0001_a\.sql and 0001_b\.sql/,
      ],
      [{ '0001_a.sql': CREATE_ITEMS, '0003_c.sql': SEED_ITEMS }, /0003_c\.sql is out of sequence: expected version 2/],
      [{ '0002_b.sql': SEED_ITEMS }, /0002_b\.sql is out of sequence: expected version 1/],
    ];
    for (const [files, message] of cases) {
      await assert.rejects(loadMigrations(await migrationsDir(files)), (error: unknown) => {
        assert.ok(error instanceof MigrationFilesError);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  test('the real tenant schema loads', async () => {
    const migrations = await loadMigrations(fileURLToPath(new URL('../../migrations/', import.meta.url)));
    assert.equal(migrations[0]?.name, 'init');
  });
});

describe('applyMigrations', () => {
  let all: Migration[];

  before(async () => {
    all = await loadMigrations(
      await migrationsDir({
        '0001_create_items.sql': CREATE_ITEMS,
        '0002_seed.sql': SEED_ITEMS,
        '0003_add_note.sql': ADD_COLUMN,
      }),
    );
  });

  test('a new database is at version 0, and applying brings it to the newest file, in order', async () => {
    const db = await freshDatabase();
    assert.equal(await schemaVersion(db), 0);
    assert.deepEqual(await applyMigrations(db, all), { fromVersion: 0, toVersion: 3, applied: [1, 2, 3] });
    assert.equal(await schemaVersion(db), 3);
    assert.deepEqual(await rows(db, 'SELECT id, label, note FROM items'), [{ id: 1, label: 'one', note: null }]);
    const recorded = await rows<{ version: number; name: string }>(
      db,
      'SELECT version, name FROM per_user_db_schema_migrations ORDER BY version',
    );
    assert.deepEqual(recorded, [
      { version: 1, name: 'create_items' },
      { version: 2, name: 'seed' },
      { version: 3, name: 'add_note' },
    ]);
  });

  test('running again is a no-op; a newer file is applied on its own', async () => {
    const db = await freshDatabase();
    await applyMigrations(db, all.slice(0, 2));
    assert.deepEqual(await applyMigrations(db, all.slice(0, 2)), { fromVersion: 2, toVersion: 2, applied: [] });
    assert.deepEqual(await applyMigrations(db, all), { fromVersion: 2, toVersion: 3, applied: [3] });
    assert.deepEqual(await applyMigrations(db, all), { fromVersion: 3, toVersion: 3, applied: [] });
    assert.deepEqual(await rows(db, 'SELECT count(*)::int AS n FROM items'), [{ n: 1 }]);
  });

  test('an applied file that was edited is refused, naming the file, and nothing runs', async () => {
    const db = await freshDatabase();
    await applyMigrations(db, all.slice(0, 2));
    const edited = await loadMigrations(
      await migrationsDir({
        '0001_create_items.sql': CREATE_ITEMS,
        '0002_seed.sql': `INSERT INTO items VALUES (1, 'uno');`,
        '0003_add_note.sql': ADD_COLUMN,
      }),
    );
    await assert.rejects(applyMigrations(db, edited), (error: unknown) => {
      assert.ok(error instanceof MigrationChecksumError);
      assert.equal(error.file, '0002_seed.sql');
      assert.match(error.message, /0002_seed\.sql was changed after it was applied/);
      return true;
    });
    assert.equal(await schemaVersion(db), 2);
  });

  test('a database migrated by a newer release (version beyond the files) is refused', async () => {
    const db = await freshDatabase();
    await applyMigrations(db, all);
    await assert.rejects(applyMigrations(db, all.slice(0, 2)), (error: unknown) => {
      assert.ok(error instanceof MigrationHistoryError);
      assert.match(error.message, /at schema version 3, newer than the newest migration file \(version 2\)/);
      return true;
    });
  });

  test('concurrent appliers on one database apply each file exactly once', async () => {
    const db = await freshDatabase();
    const results = await Promise.all(Array.from({ length: 5 }, () => applyMigrations(db, all)));
    const winners = results.filter((r) => r.applied.length > 0);
    assert.deepEqual(winners, [{ fromVersion: 0, toVersion: 3, applied: [1, 2, 3] }]);
    for (const r of results.filter((result) => result.applied.length === 0)) {
      assert.deepEqual(r, { fromVersion: 3, toVersion: 3, applied: [] });
    }
    assert.deepEqual(await rows(db, 'SELECT count(*)::int AS n FROM items'), [{ n: 1 }]);
  });

  test('a failing later file rolls back the whole batch: no half-migrated tenant', async () => {
    const db = await freshDatabase();
    const broken = await loadMigrations(
      await migrationsDir({
        '0001_create_items.sql': CREATE_ITEMS,
        '0002_seed.sql': SEED_ITEMS,
        '0003_broken.sql': 'ALTER TABLE items ADD COLUMN note text;\nINSERT INTO no_such_table VALUES (1);',
      }),
    );
    await assert.rejects(applyMigrations(db, broken), (error: unknown) => {
      assert.ok(error instanceof MigrationFailedError);
      assert.equal(error.file, '0003_broken.sql');
      assert.match(error.message, /0003_broken\.sql failed \(SQLSTATE 42P01\).*still at version 0/);
      return true;
    });
    assert.equal(await schemaVersion(db), 0);
    assert.equal(await tableExists(db, 'items'), false);
    // Fixed, the same database migrates cleanly.
    assert.deepEqual((await applyMigrations(db, all)).applied, [1, 2, 3]);
  });
});
