/**
 * Deletion trusts Clerk, not the event: real receiver, Temporal dev server, PostgreSQL and the Clerk stand-in.
 * A signed `user.deleted` for a user Clerk still has keeps the database; one older than the user's last restore
 * is ignored; a genuine one drops it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { restoreDatabase } from '../../src/client/deprovisioning.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { deprovisionStatusQuery } from '../../src/workflows/deprovision.js';
import { deprovisionWorkflowId, type DeprovisionState } from '../../src/workflows/deprovision-state.js';
import { databaseCount, waitForReadyMetadata } from '../helpers/databases.js';
import { capturedLogs, eventually, newUserId, startPipeline, type Pipeline } from '../helpers/pipeline.js';

function userDeletedEvent(userId: string, at = new Date()) {
  return {
    object: 'event',
    type: 'user.deleted',
    timestamp: at.getTime(),
    instance_id: 'ins_test',
    data: { id: userId, object: 'user', deleted: true },
  };
}

async function signUp(p: Pipeline, label: string): Promise<string> {
  const user = await p.clerk.users.createUser({ emailAddress: [`${label}-${Date.now()}@example.com`] });
  await waitForReadyMetadata(p, user.id);
  return user.id;
}

/** The result of the newest deprovisioning run for the user, once it has closed. */
async function latestResult(p: Pipeline, userId: string, runsBefore = 0): Promise<DeprovisionState> {
  const workflowId = deprovisionWorkflowId(userId);
  const runId = await eventually(
    async () => {
      const runs = [];
      for await (const run of p.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
        runs.push(run);
      return runs.length > runsBefore ? runs.sort((a, b) => +b.startTime - +a.startTime)[0]!.runId : undefined;
    },
    `run ${runsBefore + 1} of ${workflowId}`,
  );
  return p.temporal.client.workflow.getHandle(workflowId, runId).result();
}

const databaseExists = async (p: Pipeline, userId: string) =>
  (await databaseCount(p.adminUrl, tenantDatabaseName(userId))) === 1;

describe('deletion trusts Clerk', () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline();
  });
  after(() => p.stop());

  test('a signed user.deleted for a user Clerk still has: database kept, run ends kept, loud warning', async () => {
    const userId = await signUp(p, 'forged');
    const svixId = `msg_forged_delete_${newUserId()}`;
    const answer = await p.postEvent(userDeletedEvent(userId), { svixId });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));

    const result = await latestResult(p, userId);
    assert.equal(result.status, 'kept');
    assert.equal(result.databaseExisted, undefined, 'nothing was dropped');
    assert.equal(await databaseExists(p, userId), true);
    const metadata = (await p.clerk.users.getUser(userId)).publicMetadata.database as { status: string };
    assert.equal(metadata.status, 'ready');
    const warning = capturedLogs.find((l) => l.includes('DELETION REFUSED') && l.includes(userId));
    assert.ok(warning, 'a warning names the user');
    assert.match(warning, new RegExp(svixId));
    assert.match(warning, /WARN/i);
    const status = (await (
      await fetch(`${p.receiver.url}/api/users/${userId}/database`, { headers: await p.authHeaders(userId) })
    ).json()) as {
      status: string;
    };
    assert.equal(status.status, 'ready');
  });

  test('a genuine deletion (Clerk answers 404): database dropped', async () => {
    const userId = await signUp(p, 'genuine');
    await p.clerk.users.deleteUser(userId); // the stand-in sends user.deleted itself
    const result = await latestResult(p, userId);
    assert.equal(result.status, 'deleted');
    assert.equal(result.databaseExisted, true);
    assert.equal(await databaseExists(p, userId), false);
  });
});

describe('a user.deleted older than the last restore is ignored (DELETE_GRACE_PERIOD=1h)', () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ env: { DELETE_GRACE_PERIOD: '1h' } });
  });
  after(() => p.stop());

  test('restore, then the stale event again → ignored; a newer event → deletion goes ahead', async () => {
    const userId = await signUp(p, 'stale');
    const deletedAt = new Date();
    await p.clerk.users.deleteUser(userId);
    const handle = p.temporal.client.workflow.getHandle(deprovisionWorkflowId(userId));
    await eventually(
      async () => (await handle.query(deprovisionStatusQuery).catch(() => undefined))?.status === 'locked',
      'deletion locked in its grace period',
    );
    assert.equal((await restoreDatabase(p.temporal.client, userId)).status, 'restored');
    // A stale delivery comes back much later than this; let the restore reach Temporal's visibility first.
    const restoredQuery = `WorkflowId = '${deprovisionWorkflowId(userId)}' AND PerUserDbStatus = 'restored'`;
    await eventually(async () => {
      for await (const run of p.temporal.client.workflow.list({ query: restoredQuery })) if (run.closeTime) return true;
      return undefined;
    }, 'the restored run in visibility');

    const stale = await p.postEvent(userDeletedEvent(userId, deletedAt));
    assert.equal(stale.status, 202, JSON.stringify(stale.body));
    const ignored = await latestResult(p, userId, 1);
    assert.equal(ignored.status, 'ignored');
    assert.ok(ignored.restoredAt && Date.parse(ignored.restoredAt) > deletedAt.getTime());
    assert.equal(await databaseExists(p, userId), true);

    const fresh = await p.postEvent(userDeletedEvent(userId));
    assert.equal(fresh.status, 202);
    await eventually(
      async () => (await handle.query(deprovisionStatusQuery).catch(() => undefined))?.status === 'locked',
      'the newer deletion locked (Clerk confirmed the user is gone)',
    );
    assert.equal((await restoreDatabase(p.temporal.client, userId)).status, 'restored');
  });
});
