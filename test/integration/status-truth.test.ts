/**
 * The status API and `ops status` tell the current truth: the schema version a rollout recorded after
 * provisioning closed, and Clerk's record once Temporal no longer has the runs (past retention).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { recordSchemaVersion } from '../../src/clerk/client.js';
import { databaseStatus, type DatabaseStatus } from '../../src/client/status.js';
import { loadConfig } from '../../src/config/index.js';
import { createClerkApi } from '../../src/clerk/client.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { workflowExists } from '../helpers/workflows.js';

describe('status after provisioning closed', () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline();
  });
  after(() => p.stop());

  const apiStatus = async (userId: string) => {
    const res = await fetch(`${p.receiver.url}/api/users/${userId}/database`, { headers: await p.authHeaders(userId) });
    assert.equal(res.status, 200);
    return (await res.json()) as DatabaseStatus;
  };
  /** `ops status`'s lookup, configured as the CLI is (client role, with the Clerk key). */
  const cliStatus = (userId: string) => {
    const config = loadConfig(p.rawEnv, 'client');
    return databaseStatus(p.temporal.client, config, userId, config.clerk && createClerkApi(config.clerk));
  };

  test('a rollout recorded v2 on Clerk: both report v2, not the provisioning run’s v1', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`rolled-${Date.now()}@example.com`] });
    await waitForReadyMetadata(p, user.id);
    assert.equal((await apiStatus(user.id)).database?.schemaVersion, 1);
    await recordSchemaVersion(p.clerk, user.id, 2); // what the fleet rollout writes for each migrated tenant

    for (const status of [await apiStatus(user.id), await cliStatus(user.id)]) {
      assert.equal(status?.database?.schemaVersion, 2);
      assert.equal(status?.source, 'temporal');
    }
  });

  test('past retention (no workflow): answered from Clerk’s record', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`retained-${Date.now()}@example.com`] });
    await waitForReadyMetadata(p, user.id);
    const workflowId = provisionWorkflowId(user.id);
    // What retention does: the closed run is deleted from Temporal.
    await p.temporal.connection.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId },
    });
    await eventually(async () => !(await workflowExists(p.temporal.client, workflowId)), 'the run deleted');

    for (const status of [await apiStatus(user.id), await cliStatus(user.id)]) {
      assert.equal(status?.status, 'ready');
      assert.equal(status?.source, 'clerk');
      assert.equal(status?.database?.schemaVersion, 1);
      assert.equal(status?.workflowId, workflowId);
    }
  });
});
