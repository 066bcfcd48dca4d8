/**
 * What a `user.created` does after the user's provisioning run closed: a failed run is retried by a new run; a
 * terminated one is not (a cancelled one: test/integration/crash-recovery.test.ts, after a deletion).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { runWorker } from '../../src/worker/run.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, newUserId, startPipeline, userCreatedEvent, type Pipeline } from '../helpers/pipeline.js';

describe('a late user.created after the provisioning run closed', () => {
  let p: Pipeline;
  before(async () => {
    // The worker's Clerk key is refused: provisioning's first step fails for good (ClerkAuth), the run FAILED.
    p = await startPipeline({ env: { CLERK_SECRET_KEY: 'sk_test_refusedByTheStandIn000000000000' } });
  });
  after(() => p.stop());

  test('after a failed run: a new run, which succeeds once the cause is fixed', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`failed-${Date.now()}@example.com`] });
    const handle = p.temporal.client.workflow.getHandle(provisionWorkflowId(user.id));
    await eventually(async () => (await handle.describe().catch(() => undefined))?.status.name === 'FAILED', 'failed');
    const failedRunId = (await handle.describe()).runId;

    await p.worker!.shutdown();
    const fixed = loadConfig({ ...p.rawEnv, CLERK_SECRET_KEY: p.secrets.clerkSecretKey }, 'worker');
    const worker = await runWorker(fixed, { connection: p.temporal.nativeConnection });
    try {
      const again = await p.postEvent(userCreatedEvent(user.id));
      assert.equal(again.status, 202);
      assert.equal(again.body.status, 'started');
      await waitForReadyMetadata(p, user.id);
      // The metadata is written one step before the run closes: wait for the run itself, not just its effect.
      await handle.result();
      const latest = await handle.describe();
      assert.notEqual(latest.runId, failedRunId);
      assert.equal(latest.status.name, 'COMPLETED');
    } finally {
      await worker.shutdown();
    }
  });

  test('after a terminated run: no new run, 202 already-stopped', async () => {
    const userId = newUserId();
    const handle = p.temporal.client.workflow.getHandle(provisionWorkflowId(userId));
    const first = await p.postEvent(userCreatedEvent(userId));
    assert.equal(first.body.status, 'started');
    await handle.terminate('an operator stopped it');
    const { runId } = await handle.describe();

    const late = await p.postEvent(userCreatedEvent(userId));
    assert.equal(late.status, 202);
    assert.equal(late.body.status, 'already-stopped');
    const latest = await handle.describe();
    assert.deepEqual([latest.runId, latest.status.name], [runId, 'TERMINATED']);
  });
});
