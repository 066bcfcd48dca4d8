/**
 * Sign-ups and a fleet rollout share Clerk's limit but not a queue: the rollout's metadata writes go to the bulk
 * Clerk task queue at its own low rate, so sign-ups are recorded while that queue still has a backlog. Real
 * Temporal dev server, its own embedded PostgreSQL (a rollout touches every tenant on the server), the Clerk
 * stand-in, the in-process worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { startFleetMigration } from '../../src/client/fleet-migration.js';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import { applyMigrations } from '../../src/migrations/index.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { FLEET_DEFAULTS, fleetProgressQuery } from '../../src/workflows/fleet-migration-state.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, newUserId, randomToken, startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { fleetRelease } from '../helpers/worker-env.js';

const TENANTS = 24;
const SIGN_UPS = 3;

/** The task queue each scheduled activity of the given type was sent to. */
function queuesOf(history: History, activityType: string): string[] {
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    return a?.activityType?.name === activityType ? [a.taskQueue?.name ?? ''] : [];
  });
}

describe('Clerk bulk queue: sign-ups are not held up by a rollout', () => {
  let postgres: EmbeddedPostgresHandle;
  let provider: DatabaseProvider;
  let p: Pipeline;

  before(async () => {
    postgres = await startThrowawayPostgres('bulk-queue');
    const { migrationsDir, v1 } = await fleetRelease('bulk-queue');
    p = await startPipeline({
      env: {
        DATABASE_URL: postgres.url,
        MIGRATIONS_DIR: migrationsDir,
        CLERK_RATE_LIMIT_PER_SECOND: '50',
        // One rollout write every 2 s: the rollout's Clerk writes outlast the sign-ups by far, even though its
        // batches migrate every tenant within seconds.
        CLERK_BULK_RATE_LIMIT_PER_SECOND: '0.5',
      },
    });
    provider = createPostgresProvider({
      adminUrl: postgres.url,
      passwordSecret: p.secrets.tenantPasswordSecret,
      region: 'local',
    });
    // The fleet at v1, made directly. Its users are not in Clerk (a Clerk user would send a webhook and be
    // provisioned at v2): each Clerk write of the rollout still takes its turn on the bulk queue, and fails 404.
    for (let i = 0; i < TENANTS; i++) {
      const database = await provider.create(newUserId(), {});
      await applyMigrations(await provider.adminConnection(database), v1);
    }
  });

  after(async () => {
    await p?.stop();
    await provider?.close();
    await postgres?.stop();
  });

  test('sign-ups become ready while the rollout still has Clerk writes waiting on the bulk queue', async () => {
    const { taskQueue, clerkTaskQueue, clerkBulkTaskQueue } = p.config.temporal;
    const rollout = await startFleetMigration(
      p.temporal.client,
      taskQueue,
      { version: 2, file: '0002_note_links.sql' },
      { ...FLEET_DEFAULTS, concurrency: 8 },
    );
    // The bulk queue is busy: tenants migrated, their Clerk writes trickling out one every 2 s.
    await eventually(async () => {
      const progress = await rollout.query(fleetProgressQuery);
      return progress.migrated >= 8 ? progress : undefined;
    }, 'tenants migrated, Clerk writes pending');

    const users = await Promise.all(
      Array.from({ length: SIGN_UPS }, () =>
        p.clerk.users.createUser({ emailAddress: [`signup-${randomToken(6)}@example.com`] }),
      ),
    );
    for (const user of users) await waitForReadyMetadata(p, user.id);

    const progress = await rollout.query(fleetProgressQuery);
    assert.equal((await rollout.describe()).status.name, 'RUNNING', 'the rollout is still writing to Clerk');
    const written = progress.clerk.updated + progress.clerk.failed;
    assert.ok(written < TENANTS, `${SIGN_UPS} sign-ups ready while ${TENANTS - written} rollout writes still waited`);
    for (const user of users) {
      const history = await p.temporal.client.workflow.getHandle(provisionWorkflowId(user.id)).fetchHistory();
      assert.deepEqual(queuesOf(history, 'recordOnClerkIfUserExists'), [clerkTaskQueue]);
    }
    const rolloutHistory = await rollout.fetchHistory();
    const bulkQueues = new Set(queuesOf(rolloutHistory, 'recordSchemaVersionOnClerk'));
    assert.deepEqual([...bulkQueues], [clerkBulkTaskQueue]);

    await rollout.cancel();
  });
});
