/**
 * The behaviour every DatabaseProvider must show, written against the interface only (plus plain pg
 * connections from adminConnection), so it runs unchanged for postgres, xata and xata-lite.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { applyMigrations, latestVersion, loadMigrations, schemaVersion } from '../../src/migrations/index.js';
import { PermanentProviderError, type DatabaseProvider, type TenantDatabase } from '../../src/providers/types.js';
import { randomUserId } from './user-ids.js';

export interface ProviderUnderTest {
  provider: DatabaseProvider;
  cleanup?: () => Promise<void>;
}

const TENANT_MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));

const INVALID_USER_IDS = ['', 'user_', 'User_abc', 'user_abc-def', 'user_abc"; DROP DATABASE x; --', 'user_é', 'abc'];

export function describeProviderContract(label: string, setup: () => Promise<ProviderUnderTest>): void {
  describe(`DatabaseProvider contract: ${label}`, () => {
    let provider: DatabaseProvider;
    let cleanup: (() => Promise<void>) | undefined;
    const created = new Set<string>();

    const create = async (userId: string, options: { region?: string } = {}) => {
      created.add(userId);
      return provider.create(userId, options);
    };

    before(async () => {
      ({ provider, cleanup } = await setup());
    });

    after(async () => {
      for (const userId of created) await provider.drop(userId).catch(() => undefined);
      await provider.close();
      await cleanup?.();
    });

    test('regions() names at least one region, and create places the database in the default one', async () => {
      const regions = await provider.regions();
      assert.ok(regions.length > 0);
      const db = await create(randomUserId());
      assert.equal(db.provider, provider.name);
      assert.equal(db.region, regions[0]);
    });

    test('create is idempotent: twice in a row, then 3× concurrently, gives one database and the same answer', async () => {
      const userId = randomUserId();
      const first = await create(userId);
      assert.deepEqual(await create(userId), first);
      const concurrent = await Promise.all([create(userId), create(userId), create(userId)]);
      for (const db of concurrent) assert.deepEqual(db, first);
      assert.equal((await listed(provider)).filter((db) => db.name === first.name).length, 1);

      const freshId = randomUserId();
      const racing = await Promise.all([create(freshId), create(freshId), create(freshId)]);
      assert.deepEqual(racing[1], racing[0]);
      assert.deepEqual(racing[2], racing[0]);
      assert.equal((await listed(provider)).filter((db) => db.name === racing[0]?.name).length, 1);
    });

    test('the tenant schema applies through adminConnection, and running it again is a no-op', async () => {
      const db = await create(randomUserId());
      const migrations = await loadMigrations(TENANT_MIGRATIONS);
      const connection = await provider.adminConnection(db);

      const first = await applyMigrations(connection, migrations);
      assert.deepEqual(first, {
        fromVersion: 0,
        toVersion: latestVersion(migrations),
        applied: migrations.map((m) => m.version),
      });
      const again = await applyMigrations(connection, migrations);
      assert.deepEqual(again, { fromVersion: first.toVersion, toVersion: first.toVersion, applied: [] });
      assert.equal(await schemaVersion(connection), latestVersion(migrations));

      const client = new pg.Client(connection);
      await client.connect();
      try {
        await client.query(`INSERT INTO notes (title) VALUES ('hello')`);
        const { rows } = await client.query<{ title: string }>('SELECT title FROM notes');
        assert.deepEqual(rows, [{ title: 'hello' }]);
      } finally {
        await client.end();
      }
    });

    test('list() yields the database, and drop answers existed=true, then false', async () => {
      const userId = randomUserId();
      const db = await create(userId);
      assert.ok((await listed(provider)).some((d) => d.name === db.name));

      assert.deepEqual(await provider.drop(userId), { existed: true });
      assert.deepEqual(await provider.drop(userId), { existed: false });
      assert.ok(!(await listed(provider)).some((d) => d.name === db.name));
    });

    test('dropping a user that never had a database is fine', async () => {
      assert.deepEqual(await provider.drop(randomUserId()), { existed: false });
    });

    test('an invalid user id is refused as a permanent InvalidName error, by create and by drop', async () => {
      for (const userId of INVALID_USER_IDS) {
        await assert.rejects(
          provider.create(userId, {}),
          isPermanent('InvalidName'),
          `create(${JSON.stringify(userId)})`,
        );
        await assert.rejects(provider.drop(userId), isPermanent('InvalidName'), `drop(${JSON.stringify(userId)})`);
      }
    });

    test('a region the provider does not offer is refused as a permanent InvalidRequest error', async () => {
      await assert.rejects(create(randomUserId(), { region: 'no-such-region-42' }), isPermanent('InvalidRequest'));
    });
  });
}

/** Every database the provider lists. */
export async function listed(provider: DatabaseProvider): Promise<TenantDatabase[]> {
  const all: TenantDatabase[] = [];
  for await (const db of provider.list()) all.push(db);
  return all;
}

export function isPermanent(type: PermanentProviderError['type']) {
  return (error: unknown) => {
    assert.ok(error instanceof PermanentProviderError, `expected a PermanentProviderError, got ${String(error)}`);
    assert.equal(error.type, type);
    return true;
  };
}

/**
 * `failure(promise)` expects the promise to fail and answers its error; every message is kept in `messages`
 * for a final check that no secret appeared in any of them.
 */
export function failureCollector() {
  const messages: string[] = [];
  const failure = async (promise: Promise<unknown>): Promise<Error> => {
    const error = await promise.then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e as Error,
    );
    messages.push(error.message);
    return error;
  };
  return { messages, failure };
}
