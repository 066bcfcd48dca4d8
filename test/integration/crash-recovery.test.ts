/**
 * The database steps run as local activities inside a workflow task: a worker killed while a step runs is noticed
 * when that task times out and the step re-runs on another worker, and a deletion's cancel reaches a step blocked
 * in PostgreSQL. The step is held in PostgreSQL by another session holding the tenant's advisory lock, which the
 * provider takes first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { databaseCount, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, startPipeline, userCreatedEvent, type Pipeline } from '../helpers/pipeline.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { localActivityMarkers, workflowTaskStarted, workflowTaskTimeoutTypes } from '../helpers/workflows.js';

const RECOVERY_BOUND_MS = 30_000;

/** Another session holding the tenant's advisory lock: the provider's create waits on it, inside the activity. */
async function holdTenantLock(adminUrl: string, userId: string) {
  const session = new pg.Client(adminUrl);
  await session.connect();
  const key = tenantDatabaseName(userId);
  await session.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
  /** The worker statements queued behind our lock right now, each as its session's pid and its start time. */
  const waiters = async (): Promise<string[]> => {
    const { rows } = await session.query<{ statement: string }>(
      `SELECT a.pid || '@' || a.query_start AS statement FROM pg_locks l JOIN pg_stat_activity a USING (pid)
       WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = 'per-user-db'`,
    );
    return rows.map((r) => r.statement);
  };
  return {
    waiters,
    /** Whether a worker's session is queued behind our lock right now. */
    waitedOn: async () => (await waiters()).length > 0,
    release: () => session.end(),
  };
}

/**
 * Waits until createDatabase runs: a worker holds the run's workflow task and its SQL waits in PostgreSQL. The
 * server sees no activity (it is a local one), so the worker is the only one the test has running.
 */
async function createDatabaseRunning(p: Pipeline, userId: string, lock: { waitedOn(): Promise<boolean> }) {
  await eventually(
    async () => (await workflowTaskStarted(p.temporal.client, provisionWorkflowId(userId))) && lock.waitedOn(),
    'createDatabase running, blocked on the tenant lock',
  );
}

describe('a worker killed during createDatabase: the step finishes on another worker within 30 s', () => {
  let p: Pipeline;
  let first: WorkerProcess | undefined;

  before(async () => {
    p = await startPipeline({ withoutWorker: true });
  });
  after(async () => {
    first?.kill('SIGKILL');
    await p.stop();
  });

  test('SIGKILL while the activity runs; a second worker completes the same run', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`kill-${Date.now()}@example.com`] });
    const lock = await holdTenantLock(p.adminUrl, user.id);
    first = startWorkerProcess(p.rawEnv);
    await first.started;
    await createDatabaseRunning(p, user.id, lock);

    first.kill('SIGKILL');
    assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();
    await p.startWorker();
    await lock.release();

    const handle = p.temporal.client.workflow.getHandle(provisionWorkflowId(user.id));
    await eventually(
      async () => (await handle.describe()).status.name === 'COMPLETED',
      'provisioning completed',
      RECOVERY_BOUND_MS,
    );
    const recoveredMs = Date.now() - killedAt;
    console.log(`recovered ${recoveredMs} ms after the SIGKILL`);
    assert.equal((await handle.result()).status, 'ready');
    await waitForReadyMetadata(p, user.id);
    assert.equal(await databaseCount(p.adminUrl, tenantDatabaseName(user.id)), 1);
    // The dead worker's workflow task timed out, and the step re-ran (and was recorded) in this process: the
    // killed attempt left no marker.
    const history = await handle.fetchHistory();
    assert.deepEqual(workflowTaskTimeoutTypes(history), ['START_TO_CLOSE']);
    const markers = localActivityMarkers(history, 'createDatabase');
    assert.equal(markers.length, 1, 'one recorded createDatabase');
    assert.equal(markers[0]!.failed, false);
    assert.ok(
      markers[0]!.identity.startsWith(`${process.pid}@`),
      `createDatabase completed on ${markers[0]!.identity}`,
    );
  });
});

describe('a deletion cancels a createDatabase blocked in PostgreSQL within 30 s', () => {
  let p: Pipeline;

  before(async () => {
    p = await startPipeline({ withoutWorker: true });
  });
  after(() => p.stop());

  test('user.deleted while the step waits on a lock: the provisioning run closes cancelled, nothing is left', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`cancel-${Date.now()}@example.com`] });
    const lock = await holdTenantLock(p.adminUrl, user.id);
    await p.startWorker();
    await createDatabaseRunning(p, user.id, lock);
    const blocked = await lock.waiters();

    const deletedAt = Date.now();
    await p.clerk.users.deleteUser(user.id);
    const handle = p.temporal.client.workflow.getHandle(provisionWorkflowId(user.id));
    // Still holding the lock: only a cancel that reached the SQL can close the run.
    await eventually(
      async () => (await handle.describe()).status.name === 'CANCELLED',
      'provisioning cancelled',
      RECOVERY_BOUND_MS,
    );
    console.log(`cancelled ${Date.now() - deletedAt} ms after the deletion`);
    // The same statement, not any: once provisioning closed, deprovisioning's drop may queue behind the lock too.
    const stillBlocked = (await lock.waiters()).filter((statement) => blocked.includes(statement));
    assert.deepEqual(stillBlocked, [], 'the cancelled statement no longer waits');
    await lock.release();

    // A user.created arriving late (Svix orders best-effort) must not resurrect the deleted user.
    const { runId } = await handle.describe();
    const late = await p.postEvent(userCreatedEvent(user.id));
    assert.deepEqual([late.status, late.body.status], [202, 'already-stopped']);
    const latest = await handle.describe();
    assert.deepEqual([latest.runId, latest.status.name], [runId, 'CANCELLED']);
    await eventually(
      async () => (await databaseCount(p.adminUrl, tenantDatabaseName(user.id))) === 0,
      'no tenant database',
    );
  });
});
