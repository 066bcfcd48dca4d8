import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { databaseCount, startPipelineBehindPostgresProxy, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, type Pipeline } from '../helpers/pipeline.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { activityIdentities, pendingActivity } from '../helpers/workflows.js';

/** PendingActivityState.SCHEDULED: between attempts, none running (so a kill leaves no attempt to time out). */
const SCHEDULED = 1;

describe('worker killed (SIGKILL) mid-workflow: another worker finishes it, with one database', () => {
  let proxy: TcpProxy;
  let p: Pipeline;
  let first: WorkerProcess | undefined;

  let stop: () => Promise<void>;

  before(async () => {
    ({ p, proxy, stop } = await startPipelineBehindPostgresProxy({ withoutWorker: true }));
  });
  after(async () => {
    first?.kill('SIGKILL');
    await stop();
  });

  test('the first worker process dies while createDatabase is retrying; a new worker completes the run', async () => {
    await proxy.down(); // holds the workflow in its first step until we let it through
    first = startWorkerProcess(p.rawEnv);
    await first.started;

    const user = await p.clerk.users.createUser({ emailAddress: [`crash-${Date.now()}@example.com`] });
    const workflowId = provisionWorkflowId(user.id);
    const firstIdentity = `${first.pid}@`;
    await eventually(async () => {
      const activity = await pendingActivity(p.temporal.client, workflowId).catch(() => undefined);
      return (
        activity?.activityType?.name === 'createDatabase' &&
        (activity.attempt ?? 0) >= 2 &&
        activity.state === SCHEDULED &&
        activity.lastWorkerIdentity?.startsWith(firstIdentity)
      );
    }, 'the first worker retrying createDatabase');

    first.kill('SIGKILL');
    assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });

    await p.startWorker();
    await proxy.up();
    await waitForReadyMetadata(p, user.id);

    const handle = p.temporal.client.workflow.getHandle(workflowId);
    assert.equal((await handle.result()).status, 'ready');
    assert.equal(await databaseCount(p.adminUrl, tenantDatabaseName(user.id)), 1);
    // The run the dead worker started is the one that completed: its database steps ran in this process.
    const history = await handle.fetchHistory();
    for (const activityType of ['createDatabase', 'applyMigrations', 'recordOnClerkIfUserExists']) {
      const identities = activityIdentities(history, activityType);
      assert.equal(identities.length, 1, activityType);
      assert.ok(identities[0]!.startsWith(`${process.pid}@`), `${activityType} ran in ${identities[0]}`);
    }
    let runs = 0;
    for await (const _run of p.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs++;
    assert.equal(runs, 1);
  });
});
