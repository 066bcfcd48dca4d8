/**
 * Reconciliation on real components: its own embedded PostgreSQL (reconciliation looks at every tenant on the
 * server, and may remove some, so it must not share one with other test files), the shared Temporal dev
 * server, a Clerk stand-in with no webhook endpoint (the webhooks "never arrived"), and the real worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClerkApi, type ClerkClient } from '../../src/clerk/client.js';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { loadConfig, type WorkerConfig } from '../../src/config/index.js';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { reconcileScheduleId, type ReconcileInput, type ReconcileReport } from '../../src/workflows/reconcile-state.js';
import { reconcileDatabases } from '../../src/workflows/reconcile.js';
import { runWorker, type RunningWorker } from '../../src/worker/run.js';
import { databaseCount } from '../helpers/databases.js';
import { eventually, newUserId, randomToken } from '../helpers/pipeline.js';
import { testTemporal } from '../helpers/temporal.js';
import { workerEnv } from '../helpers/worker-env.js';
import { provisioningExists, workflowExists } from '../helpers/workflows.js';
import { WorkflowFailedError } from '@temporalio/client';
import { deprovisionWorkflowId } from '../../src/workflows/deprovision-state.js';

/** Users whose database exists and is recorded: reconciliation must leave them alone. */
const HEALTHY = 8;

describe('reconciliation: users without a database, databases without a user', () => {
  let postgres: EmbeddedPostgresHandle;
  let standIn: ClerkStandIn;
  let provider: DatabaseProvider;
  let clerk: ClerkClient;
  let worker: RunningWorker;
  let taskQueue: string;
  let missed: string; // a Clerk user whose user.created webhook never arrived
  const orphan = newUserId(); // a database whose Clerk user does not exist
  const healthy: string[] = [];
  let workerConfig: (clerkApi: { secretKey: string; apiUrl: string }, queue: string, interval?: string) => WorkerConfig;

  async function reconcile(options: Partial<ReconcileInput>, queue = taskQueue): Promise<ReconcileReport> {
    const { client } = await testTemporal();
    return client.workflow.execute(reconcileDatabases, {
      workflowId: `reconcile-test-${randomToken(6)}`,
      taskQueue: queue,
      // Pages of 2 and a small history budget: several pages per phase, and continue-as-new on the way.
      args: [{ dryRun: false, removeOrphans: false, pageSize: 2, maxRemovals: 10, maxHistoryEvents: 100, ...options }],
    });
  }
  const metadataOf = async (userId: string) =>
    (await clerk.users.getUser(userId)).publicMetadata.database as { status?: string; name?: string } | undefined;

  before(async () => {
    const temporal = await testTemporal();
    postgres = await startThrowawayPostgres('reconcile');
    const secretKey = `sk_test_${randomToken(24)}`;
    standIn = await startClerkStandIn({ secretKey }); // no webhook endpoint: sign-ups reach nobody
    clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
    const passwordSecret = randomToken(32);
    provider = createPostgresProvider({ adminUrl: postgres.url, passwordSecret, region: 'local' });
    taskQueue = `reconcile-${randomToken(6)}`;
    workerConfig = (clerkApi: { secretKey: string; apiUrl: string }, queue: string, interval = '15m') =>
      loadConfig(
        {
          ...workerEnv({ databaseUrl: postgres.url, passwordSecret, clerk: clerkApi, taskQueue: queue, temporal }),
          CLERK_RATE_LIMIT_PER_SECOND: '100',
          RECONCILE_INTERVAL: interval,
          LOG_LEVEL: 'warn',
        },
        'worker',
      );
    const config = workerConfig({ secretKey, apiUrl: standIn.url }, taskQueue);
    const workerStarting = runWorker(config, { connection: temporal.nativeConnection });

    const provisionedAt = new Date().toISOString();
    for (let i = 0; i < HEALTHY; i++) {
      const user = await clerk.users.createUser({ emailAddress: [`ok-${randomToken(6)}@example.com`] });
      const database = await provider.create(user.id, {});
      await clerk.users.updateUserMetadata(user.id, {
        publicMetadata: { database: { status: 'ready', ...database, schemaVersion: 1, provisionedAt } },
      });
      healthy.push(user.id);
    }
    missed = (await clerk.users.createUser({ emailAddress: [`missed-${randomToken(6)}@example.com`] })).id;
    await provider.create(orphan, {});
    worker = await workerStarting;
  });

  after(async () => {
    await worker?.shutdown();
    await provider?.close();
    await standIn?.stop();
    await postgres?.stop();
  });

  test('the worker creates the schedule at start: the configured interval, overlap SKIP', async () => {
    const { client } = await testTemporal();
    const schedule = await client.schedule.getHandle(reconcileScheduleId(taskQueue)).describe();
    assert.deepEqual(
      schedule.spec.intervals?.map((i) => i.every),
      [15 * 60_000],
    );
    assert.equal(schedule.policies.overlap, 'SKIP');
    assert.equal(schedule.action.type, 'startWorkflow');
    assert.equal(schedule.action.workflowType, 'reconcileDatabases');
    assert.equal(schedule.action.taskQueue, taskQueue);
    assert.equal((schedule.action.args?.[0] as ReconcileInput).removeOrphans, false);
  });

  test('a dry run returns the plan and changes nothing', async () => {
    const { client } = await testTemporal();
    const plan = await reconcile({ dryRun: true, removeOrphans: true });
    assert.deepEqual(plan.toProvisionIds, [missed]);
    assert.deepEqual(plan.orphanIds, [orphan]);
    assert.equal(plan.usersScanned, HEALTHY + 1);
    assert.equal(plan.databasesScanned, HEALTHY + 1);
    assert.equal(plan.provisioningStarted, 0);
    assert.equal(plan.orphansRemoved, 0);
    assert.ok(plan.runs >= 2, `continued as new (${plan.runs} runs)`);
    assert.equal(await provisioningExists(client, missed), false);
    assert.equal(await databaseCount(postgres.url, tenantDatabaseName(missed)), 0);
    assert.equal(await databaseCount(postgres.url, tenantDatabaseName(orphan)), 1);
  });

  test('a run provisions the user whose webhook never arrived and reports the orphan without removing it', async () => {
    const report = await reconcile({});
    assert.deepEqual(report.toProvisionIds, [missed]);
    assert.equal(report.provisioningStarted, 1);
    assert.deepEqual(report.orphanIds, [orphan]);
    assert.equal(report.orphansRemoved, 0);
    assert.equal(report.failed, 0);

    const database = await eventually(async () => {
      const db = await metadataOf(missed);
      return db?.status === 'ready' && db;
    }, 'the missed user provisioned');
    assert.equal(database.name, tenantDatabaseName(missed));
    assert.equal(await databaseCount(postgres.url, tenantDatabaseName(missed)), 1);
    assert.equal(await databaseCount(postgres.url, tenantDatabaseName(orphan)), 1, 'orphan kept');
    for (const userId of healthy) assert.equal((await metadataOf(userId))?.status, 'ready');

    // Converged: a second run finds nothing to do.
    const again = await reconcile({});
    assert.deepEqual(again.toProvisionIds, []);
    assert.deepEqual(again.orphanIds, [orphan]);
  });

  test('with removeOrphans, the orphan is deprovisioned', async () => {
    const report = await reconcile({ removeOrphans: true });
    assert.deepEqual(report.orphanIds, [orphan]);
    assert.equal(report.orphansRemoved, 1);
    await eventually(
      async () => (await databaseCount(postgres.url, tenantDatabaseName(orphan))) === 0,
      'orphan dropped',
    );
    for (const userId of [...healthy, missed]) {
      assert.equal(await databaseCount(postgres.url, tenantDatabaseName(userId)), 1, userId);
    }
  });

  /** A second worker on its own task queue, on the same PostgreSQL, whose Clerk API is `clerkApi`. */
  async function withWorker<T>(clerkApi: { secretKey: string; apiUrl: string }, run: (queue: string) => Promise<T>) {
    const temporal = await testTemporal();
    const queue = `reconcile-${randomToken(6)}`;
    const other = await runWorker(workerConfig(clerkApi, queue, 'off'), { connection: temporal.nativeConnection });
    try {
      return await run(queue);
    } finally {
      await other.shutdown();
    }
  }

  const tenantsLeft = async () => {
    let count = 0;
    for (const userId of [...healthy, missed]) count += await databaseCount(postgres.url, tenantDatabaseName(userId));
    return count;
  };

  test('an empty Clerk instance (wrong key for this deployment): orphan removal refused, all reported', async () => {
    const emptyKey = `sk_test_${randomToken(24)}`;
    const empty = await startClerkStandIn({ secretKey: emptyKey });
    try {
      const report = await withWorker({ secretKey: emptyKey, apiUrl: empty.url }, (queue) =>
        reconcile({ removeOrphans: true }, queue),
      );
      assert.equal(report.usersScanned, 0);
      assert.equal(report.orphans, HEALTHY + 1, 'every database looks orphaned');
      assert.equal(report.orphansRemoved, 0);
      assert.match(report.removalRefused ?? '', /Clerk knows none of the \d+ users with a database/);
      const { client } = await testTemporal();
      for (const userId of healthy) {
        assert.equal(await workflowExists(client, deprovisionWorkflowId(userId)), false, userId);
      }
      assert.equal(await tenantsLeft(), HEALTHY + 1);
    } finally {
      await empty.stop();
    }
  });

  test('a key Clerk refuses: the run fails (ClerkAuth) and removes nothing', async () => {
    const { client } = await testTemporal();
    await assert.rejects(
      withWorker({ secretKey: `sk_test_${randomToken(24)}`, apiUrl: standIn.url }, (queue) =>
        reconcile({ removeOrphans: true }, queue),
      ),
      (error: Error) =>
        error instanceof WorkflowFailedError && /ClerkAuth|401/.test(String(error.cause?.cause ?? error.cause)),
    );
    for (const userId of healthy) {
      assert.equal(await workflowExists(client, deprovisionWorkflowId(userId)), false, userId);
    }
    assert.equal(await tenantsLeft(), HEALTHY + 1);
  });
});

describe('reconciliation in a small deployment whose every user left (fewer databases than the guard needs)', () => {
  let postgres: EmbeddedPostgresHandle;
  let standIn: ClerkStandIn;
  let provider: DatabaseProvider;
  let worker: RunningWorker;
  const taskQueue = `reconcile-small-${randomToken(6)}`;
  const gone = [newUserId(), newUserId()];

  before(async () => {
    const temporal = await testTemporal();
    postgres = await startThrowawayPostgres('reconcile-small');
    const secretKey = `sk_test_${randomToken(24)}`;
    standIn = await startClerkStandIn({ secretKey }); // no users: both left
    const passwordSecret = randomToken(32);
    provider = createPostgresProvider({ adminUrl: postgres.url, passwordSecret, region: 'local' });
    for (const userId of gone) await provider.create(userId, {});
    const config = loadConfig(
      {
        ...workerEnv({
          databaseUrl: postgres.url,
          passwordSecret,
          clerk: { secretKey, apiUrl: standIn.url },
          taskQueue,
          temporal,
        }),
        RECONCILE_INTERVAL: 'off',
        LOG_LEVEL: 'warn',
      },
      'worker',
    );
    worker = await runWorker(config, { connection: temporal.nativeConnection });
  });
  after(async () => {
    await worker?.shutdown();
    await provider?.close();
    await standIn?.stop();
    await postgres?.stop();
  });

  test('the orphans held back while Clerk knew none of their users are removed at the end of the scan', async () => {
    const { client } = await testTemporal();
    const report = await client.workflow.execute(reconcileDatabases, {
      workflowId: `reconcile-test-${randomToken(6)}`,
      taskQueue,
      args: [{ dryRun: false, removeOrphans: true, pageSize: 1, maxRemovals: 10, maxHistoryEvents: 1_000 }],
    });
    assert.equal(report.orphans, 2);
    assert.equal(report.orphansRemoved, 2);
    assert.equal(report.removalRefused, undefined);
    for (const userId of gone) {
      await eventually(
        async () => (await databaseCount(postgres.url, tenantDatabaseName(userId))) === 0,
        `${userId} dropped`,
      );
    }
  });
});
