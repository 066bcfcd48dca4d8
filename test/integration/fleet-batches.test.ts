/**
 * A fleet migration's batch (several tenants in one activity) on real components: its own embedded PostgreSQL
 * (a rollout touches every tenant on the server), the shared Temporal dev server, the Clerk stand-in, workers
 * as child processes (one is SIGKILLed mid-batch). One batch holds the whole fleet, so the tenants go in name
 * order: a tenant failing for good and one failing transiently sit in the middle of it, and the batch is held
 * on a later tenant (its migration lock taken by another session) while the worker is killed.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import type { TenantOutcome } from '../../src/activities/tenant-batch.js';
import { createClerkApi } from '../../src/clerk/client.js';
import { startFleetMigration } from '../../src/client/fleet-migration.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { FLEET_DEFAULTS, type FleetReport } from '../../src/workflows/fleet-migration-state.js';
import { cliProcesses, createV1Tenant, fleetCliEnv, mapLimit } from '../helpers/fleet.js';
import { fleetRelease } from '../helpers/worker-env.js';
import { eventually, randomToken } from '../helpers/pipeline.js';
import { testTemporal } from '../helpers/temporal.js';
import { activityAttempts, activityIdentities, historyText } from '../helpers/workflows.js';

const TENANTS = 6;
/** The migration runner's advisory lock key (src/migrations/apply.ts): holding it holds the tenant's migration. */
const MIGRATION_LOCK_KEY = '8098983514393391474';

describe('fleet migration in batches: one tenant failing, a worker killed mid-batch', () => {
  let postgres: EmbeddedPostgresHandle;
  let standIn: ClerkStandIn;
  let provider: DatabaseProvider;
  let env: Record<string, string>;
  let byName: string[] = [];
  const { startWorker, killAll } = cliProcesses(() => env);

  /** An admin session in one tenant's database. */
  async function inTenant<T>(userId: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ ...parseIntoClientConfig(postgres.url), database: tenantDatabaseName(userId) });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  const asAdmin = async (sql: string) => {
    const client = new pg.Client(postgres.url);
    await client.connect();
    await client.query(sql);
    await client.end();
  };

  before(async () => {
    const temporal = await testTemporal();
    postgres = await startThrowawayPostgres('fleet-batches');
    const secretKey = `sk_test_${randomToken(24)}`;
    standIn = await startClerkStandIn({ secretKey });
    const passwordSecret = randomToken(32);
    provider = createPostgresProvider({ adminUrl: postgres.url, passwordSecret, region: 'local', poolSize: 4 });
    const { migrationsDir, v1 } = await fleetRelease('fleet-batches');
    env = fleetCliEnv(
      {
        databaseUrl: postgres.url,
        passwordSecret,
        clerk: { secretKey, apiUrl: standIn.url },
        taskQueue: `fleet-batches-${randomToken(6)}`,
        temporal,
      },
      migrationsDir,
      { CLERK_RATE_LIMIT_PER_SECOND: '100', CLERK_BULK_RATE_LIMIT_PER_SECOND: '50' },
    );
    const clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
    const userIds = await mapLimit(Array.from({ length: TENANTS }), 3, () => createV1Tenant(clerk, provider, v1));
    byName = [...userIds].sort((a, b) => (tenantDatabaseName(a) < tenantDatabaseName(b) ? -1 : 1));
  });

  after(async () => {
    killAll();
    await provider?.close();
    await standIn?.stop();
    await postgres?.stop();
  });

  test('the failing tenants are reported or retried alone; the killed batch resumes without redoing a tenant', async () => {
    const [, transient, , broken, held] = byName as [string, string, string, string, string, string];
    // `broken`: 0002 conflicts with its data, for good. `transient`: refuses connections until let in again.
    await inTenant(broken, (c) => c.query('CREATE TABLE note_links (x int)'));
    await asAdmin(`ALTER DATABASE "${tenantDatabaseName(transient)}" ALLOW_CONNECTIONS false`);
    // `held`: its migration waits for the lock this session holds.
    const lock = new pg.Client({ ...parseIntoClientConfig(postgres.url), database: tenantDatabaseName(held) });
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);

    const first: ChildProcess = await startWorker();
    const { client } = await testTemporal();
    const rollout = await startFleetMigration(
      client,
      env.TASK_QUEUE!,
      { version: 2, file: '0002_note_links.sql' },
      { ...FLEET_DEFAULTS, concurrency: 1, batchSize: TENANTS, maxAttempts: 5 },
    );

    // The batch heartbeated its first four outcomes and waits on `held`: kill its worker there.
    const recorded = await eventually(async () => {
      const pending = (await rollout.describe()).raw.pendingActivities?.[0];
      const payload = pending?.heartbeatDetails?.payloads?.[0];
      if (pending?.activityType?.name !== 'migrateTenants' || !payload) return undefined;
      const outcomes = defaultPayloadConverter.fromPayload<TenantOutcome<unknown>[]>(payload);
      return outcomes.length === 4 && outcomes;
    }, 'the batch past four tenants, heartbeated');
    assert.deepEqual(
      recorded.map((o) => (o.ok ? 'ok' : o.nonRetryable ? 'failed for good' : 'transient')),
      ['ok', 'transient', 'ok', 'failed for good'],
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await lock.end();
    await startWorker();

    // The transient tenant is retried alone (after the batch): let it in once it failed there too.
    await eventually(async () => {
      const pending = (await rollout.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'migrateTenant' && (a.attempt ?? 0) >= 2);
    }, 'the transient tenant retried alone');
    await asAdmin(`ALTER DATABASE "${tenantDatabaseName(transient)}" ALLOW_CONNECTIONS true`);

    const report: FleetReport = await rollout.result();
    assert.equal(report.state, 'completed');
    assert.equal(report.total, TENANTS);
    // upToDate 0: no tenant the first attempt migrated was migrated again (it would find nothing to do).
    assert.deepEqual([report.migrated, report.upToDate, report.failed], [TENANTS - 1, 0, 1]);
    assert.deepEqual(
      report.failures.map((f) => [f.userId, f.stage]),
      [[broken, 'migrate']],
    );
    assert.match(report.failures[0]!.error, /0002_note_links\.sql failed \(SQLSTATE 42P07\)/);
    assert.equal(report.clerk.updated, TENANTS - 1);

    const history = await rollout.fetchHistory();
    // One batch activity, completed on its second attempt by the second worker; one retry alone, of `transient`.
    assert.deepEqual(activityAttempts(history, 'migrateTenants'), [2]);
    assert.ok(
      !activityIdentities(history, 'migrateTenants')[0]!.startsWith(`${first.pid}@`),
      'run by the second worker',
    );
    assert.equal(activityAttempts(history, 'migrateTenant').length, 1);
    const retried = (history.events ?? []).find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'migrateTenant',
    );
    assert.ok(historyText({ events: [retried!] }).includes(tenantDatabaseName(transient)));

    for (const userId of byName) {
      const versions = await inTenant(userId, async (c) => {
        const { rows } = await c.query<{ version: number }>(
          'SELECT version FROM per_user_db_schema_migrations ORDER BY version',
        );
        return rows.map((r) => r.version);
      });
      assert.deepEqual(versions, userId === broken ? [1] : [1, 2], userId);
    }
  });
});
