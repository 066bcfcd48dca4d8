import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { databaseCount, startPipelineBehindPostgresProxy, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, type Pipeline } from '../helpers/pipeline.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { activityIdentities, localActivityMarkers, localActivityRetrying } from '../helpers/workflows.js';

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
    // Past the local retries, the first worker recorded a failed attempt and the next waits on a server timer:
    // between attempts, none running (so a kill leaves no attempt to time out).
    await eventually(
      async () =>
        (await localActivityRetrying(p.temporal.client, workflowId, 'createDatabase'))?.identity.startsWith(
          firstIdentity,
        ),
      'the first worker retrying createDatabase',
    );

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
    for (const activityType of ['createDatabase', 'applyMigrations']) {
      const done = localActivityMarkers(history, activityType).filter((m) => !m.failed);
      assert.equal(done.length, 1, activityType);
      assert.ok(done[0]!.identity.startsWith(`${process.pid}@`), `${activityType} ran in ${done[0]!.identity}`);
    }
    const identities = activityIdentities(history, 'recordOnClerkIfUserExists');
    assert.equal(identities.length, 1);
    assert.ok(identities[0]!.startsWith(`${process.pid}@`), `recordOnClerkIfUserExists ran in ${identities[0]}`);
    let runs = 0;
    for await (const _run of p.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs++;
    assert.equal(runs, 1);
  });
});
