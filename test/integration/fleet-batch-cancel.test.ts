/**
 * A fleet batch cancelled while a tenant's migration waits in PostgreSQL (a worker shutting down past its grace
 * time): the activity's cancel reaches the migration's SQL, so the batch ends at once as cancelled instead of
 * when the statement ends. The real activity, provider and PostgreSQL, in the SDK's activity test environment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { createFleetActivities } from '../../src/activities/fleet.js';
import { loadMigrations } from '../../src/migrations/index.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider, TenantDatabase } from '../../src/providers/types.js';
import { randomToken } from '../helpers/pipeline.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { randomUserId } from '../providers/user-ids.js';

/** The migration runner's advisory lock key (src/migrations/apply.ts): holding it holds the tenant's migration. */
const MIGRATION_LOCK_KEY = '8098983514393391474';

describe('a fleet batch cancelled while a migration waits in PostgreSQL', () => {
  let adminUrl: string;
  let provider: DatabaseProvider;
  const userId = randomUserId();

  before(async () => {
    adminUrl = await testDatabaseUrl();
    provider = createPostgresProvider({ adminUrl, passwordSecret: randomToken(32), region: 'local' });
  });
  after(async () => {
    await provider.drop(userId);
    await provider.close();
  });

  test(
    'ends as cancelled while the lock is still held; the statement no longer waits',
    { timeout: 60_000 },
    async () => {
      const tenant: TenantDatabase = await provider.create(userId, {});
      // Without the tenant's statement timeout (30 s), a statement the cancel did not reach would wait for good.
      const admin = new pg.Client(adminUrl);
      await admin.connect();
      await admin.query(`ALTER ROLE ${pg.escapeIdentifier(tenant.name)} SET statement_timeout = 0`);
      await admin.end();
      const lock = new pg.Client({ ...parseIntoClientConfig(adminUrl), database: tenantDatabaseName(userId) });
      await lock.connect();
      try {
        await lock.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
        const waiting = async () => {
          const { rows } = await lock.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity WHERE pg_catalog.pg_backend_pid() = ANY(pg_catalog.pg_blocking_pids(pid))',
          );
          return rows[0]!.n > 0;
        };
        const activities = createFleetActivities({ provider, migrations: await loadMigrations('migrations') });
        const env = new MockActivityEnvironment();
        const batch = env.run(activities.migrateTenants, { tenants: [tenant], targetVersion: 1 }).then(
          () => assert.fail('expected the cancelled batch to fail'),
          (error: unknown) => error,
        );
        while (!(await waiting())) await sleep(20);
        env.cancel();
        // Only a cancel that reached the SQL ends the batch while the lock is held.
        assert.ok((await batch) instanceof CancelledFailure, String(await batch));
        assert.equal(await waiting(), false, 'the cancelled statement no longer waits');
      } finally {
        await lock.end();
      }
    },
  );
});
