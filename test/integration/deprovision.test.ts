/**
 * `user.deleted` → deprovisioning, on real Temporal + real PostgreSQL + the Clerk stand-in, one test per order
 * in which a delete can meet a create: after it, before it, during it, duplicated, followed by a late create,
 * and with a grace period (restore, or expiry).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { tenantConnectionConfig } from '../../src/providers/tenant-connection.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { restoreDatabase, startDeprovisioning } from '../../src/client/deprovisioning.js';
import { databaseStatus, type DatabaseStatus } from '../../src/client/status.js';
import { deprovisionStatusQuery } from '../../src/workflows/deprovision.js';
import { deprovisionWorkflowId, type DeprovisionState } from '../../src/workflows/deprovision-state.js';
import { provisionStatusQuery } from '../../src/workflows/provision.js';
import { provisionWorkflowId, type ProvisionState } from '../../src/workflows/provision-state.js';
import { databaseCount, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, newUserId, startPipeline, userCreatedEvent, type Pipeline } from '../helpers/pipeline.js';
import { pendingActivity, workflowExists } from '../helpers/workflows.js';

/** A `user.deleted` event as Clerk sends it. */
function userDeletedEvent(userId: string) {
  return {
    object: 'event',
    type: 'user.deleted',
    timestamp: Date.now(),
    instance_id: 'ins_test',
    data: { id: userId, object: 'user', deleted: true },
  };
}

async function roleExists(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

/** Database and role both gone (or both there). */
async function assertTenantGone(p: Pipeline, userId: string) {
  const name = tenantDatabaseName(userId);
  assert.equal(await databaseCount(p.adminUrl, name), 0, 'database dropped');
  assert.equal(await roleExists(p.adminUrl, name), false, 'role dropped');
}

/** The result of the user's deprovisioning run, once the webhook has started it. */
async function deprovisionResult(p: Pipeline, userId: string): Promise<DeprovisionState> {
  const workflowId = deprovisionWorkflowId(userId);
  await eventually(() => workflowExists(p.temporal.client, workflowId), `${workflowId} started`);
  return p.temporal.client.workflow.getHandle(workflowId).result();
}

/** The status as operators read it (the status API answers only a signed-in user; these users are gone). */
async function statusOf(p: Pipeline, userId: string): Promise<DatabaseStatus> {
  const status = await databaseStatus(p.temporal.client, p.config, userId);
  assert.ok(status, `a status for ${userId}`);
  return status;
}

async function runsOf(p: Pipeline, workflowId: string): Promise<number> {
  let runs = 0;
  for await (const _run of p.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs++;
  return runs;
}

async function signUp(p: Pipeline, label: string): Promise<string> {
  const user = await p.clerk.users.createUser({ emailAddress: [`${label}-${Date.now()}@example.com`] });
  await waitForReadyMetadata(p, user.id);
  return user.id;
}

describe('deprovisioning: user.deleted removes the database, whatever the order', () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline();
  });
  after(() => p.stop());

  test('create → ready → delete: database and role dropped, status deleted', async () => {
    const userId = await signUp(p, 'delete');
    await p.clerk.users.deleteUser(userId); // the stand-in sends user.deleted to the receiver

    const result = await deprovisionResult(p, userId);
    assert.equal(result.status, 'deleted');
    assert.equal(result.provisioning, 'COMPLETED');
    assert.equal(result.databaseExisted, true);
    assert.equal(result.recordedOnClerk, false, 'the Clerk user is gone: a 404 is success');
    await assertTenantGone(p, userId);

    const status = await statusOf(p, userId);
    assert.equal(status.status, 'deleted');
    assert.equal(status.database, null);
    assert.equal(status.workflowId, `deprovision-db-${userId}`);
    assert.match(status.temporalUiUrl, /\/workflows\/deprovision-db-user_/);
  });

  test('delete before create: nothing to drop, and the create that follows leaves nothing behind', async () => {
    const userId = newUserId(); // Clerk does not know it: deleted before its user.created arrives
    const deleted = await p.postEvent(userDeletedEvent(userId));
    assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
    assert.equal(deleted.body.workflowId, `deprovision-db-${userId}`);
    const result = await deprovisionResult(p, userId);
    assert.deepEqual(
      { status: result.status, provisioning: result.provisioning, existed: result.databaseExisted },
      { status: 'deleted', provisioning: 'none', existed: false },
    );

    const created = await p.postEvent(userCreatedEvent(userId));
    assert.equal(created.status, 202);
    assert.equal(created.body.status, 'started');
    const provisioning = p.temporal.client.workflow.getHandle(provisionWorkflowId(userId));
    const state: ProvisionState = await provisioning.result();
    assert.equal(state.status, 'deleted', 'ends cleanly, not failed');
    assert.equal((await provisioning.describe()).status.name, 'COMPLETED');
    // The Clerk write is the existence check: its 404 makes the run drop the database it had just created.
    assert.deepEqual(
      state.steps.map((s) => s.state),
      ['done', 'done', 'done'],
    );
    assert.equal(state.database, null);
    await assertTenantGone(p, userId);
    assert.equal((await statusOf(p, userId)).status, 'deleted');
  });

  test('the same delete 3× concurrently, then once late: every answer 2xx, one drop, converged', async () => {
    const userId = await signUp(p, 'dup-delete');
    await p.clerk.users.deleteUser(userId); // gone from Clerk; the stand-in's own delivery races with ours
    const event = userDeletedEvent(userId);
    const answers = await Promise.all([1, 2, 3].map(() => p.postEvent(event, { svixId: 'msg_same_delete' })));
    for (const a of answers) assert.equal(a.status, 202, JSON.stringify(a.body));
    assert.equal(new Set(answers.map((a) => a.body.workflowId)).size, 1);
    const workflowId = deprovisionWorkflowId(userId);
    await deprovisionResult(p, userId);
    const late = await p.postEvent(event);
    assert.equal(late.status, 202);
    const last = await p.temporal.client.workflow.getHandle(workflowId).result();
    assert.equal(last.status, 'deleted');
    await assertTenantGone(p, userId);

    // However the deliveries met the runs (attached while open, or a new run after one closed), exactly one
    // run found the database to drop, and every run ended deleted.
    const results = await eventually(async () => {
      const runs: DeprovisionState[] = [];
      for await (const run of p.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        if (run.status.name !== 'COMPLETED') return undefined;
        runs.push(await p.temporal.client.workflow.getHandle(workflowId, run.runId).result());
      }
      return runs.length >= 2 ? runs : undefined;
    }, 'every run closed and listed');
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set(['deleted']));
    assert.equal(results.filter((r) => r.databaseExisted).length, 1);
  });

  test('a late user.created after create → delete: refused, no database comes back', async () => {
    const userId = await signUp(p, 'late-create');
    await p.clerk.users.deleteUser(userId);
    await deprovisionResult(p, userId);

    const late = await p.postEvent(userCreatedEvent(userId));
    assert.equal(late.status, 202);
    assert.equal(late.body.status, 'already-provisioned');
    await assertTenantGone(p, userId);
    assert.equal(await runsOf(p, provisionWorkflowId(userId)), 1);
  });
});

describe('deprovisioning while provisioning is held mid-way (database created, Clerk write waiting)', () => {
  let p: Pipeline;
  before(async () => {
    // One metadata write per user per hour: the test takes it, so provisioning's write waits ~1 h on a 429.
    p = await startPipeline({ withoutWorker: true, faults: { userMetadataLimit: { writes: 1, windowMs: 3_600_000 } } });
  });
  after(() => p.stop());

  test('the provisioning run is cancelled, then its half-made database is dropped', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`held-${Date.now()}@example.com`] });
    const provisionId = provisionWorkflowId(user.id);
    await eventually(() => workflowExists(p.temporal.client, provisionId), 'provisioning started by the webhook');
    await p.clerk.users.updateUserMetadata(user.id, { publicMetadata: { plan: 'free' } });
    await p.startWorker();
    const held = await eventually(async () => {
      const activity = await pendingActivity(p.temporal.client, provisionId);
      return activity?.activityType?.name === 'recordOnClerkIfUserExists' && activity.lastFailure
        ? activity
        : undefined;
    }, 'recordOnClerkIfUserExists waiting on a 429');
    assert.match(held.lastFailure?.message ?? '', /429/);
    assert.equal(await databaseCount(p.adminUrl, tenantDatabaseName(user.id)), 1, 'database created already');

    await p.clerk.users.deleteUser(user.id);
    const result = await deprovisionResult(p, user.id);
    assert.equal(result.provisioning, 'CANCELLED');
    assert.equal(result.databaseExisted, true);
    await assertTenantGone(p, user.id);

    const provisioning = p.temporal.client.workflow.getHandle(provisionId);
    const state: ProvisionState = await provisioning.query(provisionStatusQuery);
    assert.equal(state.status, 'cancelled');
    assert.deepEqual(
      state.steps.map((s) => s.state),
      ['done', 'done', 'cancelled'],
    );
  });
});

describe('deprovisioning with a grace period (DELETE_GRACE_PERIOD=1h)', () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ env: { DELETE_GRACE_PERIOD: '1h' } });
  });
  after(() => p.stop());

  const tenantClient = (userId: string) =>
    new pg.Client(
      tenantConnectionConfig({ adminUrl: p.adminUrl, passwordSecret: p.secrets.tenantPasswordSecret }, userId),
    );

  test('locked during the grace period (login refused, open session ended); restore unlocks and keeps it', async () => {
    const userId = await signUp(p, 'grace');
    const open = tenantClient(userId);
    open.on('error', () => undefined); // the lock ends this session
    await open.connect();
    await open.query("INSERT INTO notes (title) VALUES ('keep me')");

    await p.clerk.users.deleteUser(userId);
    const handle = p.temporal.client.workflow.getHandle(deprovisionWorkflowId(userId));
    await eventually(
      async () => (await handle.query(deprovisionStatusQuery).catch(() => undefined))?.status === 'locked',
      'deletion locked in its grace period',
    );
    await assert.rejects(tenantClient(userId).connect(), (e: { code?: string }) => e.code === '28000');
    await assert.rejects(open.query('SELECT 1'));
    const status = await statusOf(p, userId);
    assert.equal(status.status, 'deleting');
    assert.equal(status.database?.name, tenantDatabaseName(userId));

    const restored = await restoreDatabase(p.temporal.client, userId);
    assert.equal(restored.status, 'restored');
    assert.equal((await handle.result()).status, 'restored');
    const back = tenantClient(userId);
    await back.connect();
    const { rows } = await back.query('SELECT title FROM notes');
    await back.end();
    assert.deepEqual(rows, [{ title: 'keep me' }]);
    assert.equal((await statusOf(p, userId)).status, 'ready');
    await assert.rejects(restoreDatabase(p.temporal.client, userId), /cannot be restored|no deletion/);
  });

  test('the grace period expiring drops the database; a user still in Clerk gets status deleted', async () => {
    const userId = await signUp(p, 'grace-expiry');
    const started = await startDeprovisioning(p.temporal.client, p.config.temporal.taskQueue, {
      userId,
      reason: 'operator',
      gracePeriodMs: 1_000,
    });
    const result = await p.temporal.client.workflow.getHandle(started.workflowId).result();
    assert.equal(result.status, 'deleted');
    assert.equal(result.databaseExisted, true);
    assert.equal(result.recordedOnClerk, true);
    await assertTenantGone(p, userId);
    const metadata = (await p.clerk.users.getUser(userId)).publicMetadata.database as { status: string };
    assert.equal(metadata.status, 'deleted');
  });
});
