import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { databaseCount, startPipelineBehindPostgresProxy, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, type Pipeline } from '../helpers/pipeline.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import { localActivityMarkers } from '../helpers/workflows.js';

describe('PostgreSQL refusing connections: activities retry and the workflow completes when it is back', () => {
  let proxy: TcpProxy;
  let p: Pipeline;

  let stop: () => Promise<void>;

  before(async () => {
    ({ p, proxy, stop } = await startPipelineBehindPostgresProxy());
  });
  after(() => stop());

  test('a sign-up during the outage waits it out: one database, schema applied, metadata ready', async () => {
    await proxy.down();
    const user = await p.clerk.users.createUser({ emailAddress: [`pg-outage-${Date.now()}@example.com`] });
    const workflowId = provisionWorkflowId(user.id);

    // A local activity: its first attempts retry inside the worker; past the local threshold a failed attempt is
    // recorded and the next waits on a server timer, and so on until the database is back.
    const failing = await eventually(async () => {
      const history = await p.temporal.client.workflow
        .getHandle(workflowId)
        .fetchHistory()
        .catch(() => undefined);
      return history && localActivityMarkers(history, 'createDatabase').find((m) => m.failed && m.retryOnTimer);
    }, 'createDatabase failing and being retried');
    assert.ok(failing.attempt >= 3, `attempt ${failing.attempt}`);
    assert.match(failing.error ?? '', /ECONNREFUSED|connect/i);

    const status = await fetch(`${p.receiver.url}/api/users/${user.id}/database`, {
      headers: await p.authHeaders(user.id),
    });
    const body = (await status.json()) as { status: string; steps: Array<{ name: string; state: string }> };
    assert.equal(body.status, 'provisioning');
    assert.deepEqual(body.steps[0], { ...body.steps[0], name: 'create-database', state: 'running' });
    assert.equal(await databaseCount(p.adminUrl, tenantDatabaseName(user.id)), 0);

    await proxy.up();
    const ready = await waitForReadyMetadata(p, user.id);
    assert.equal((ready.publicMetadata.database as { schemaVersion: number }).schemaVersion, 1);
    assert.equal(await databaseCount(p.adminUrl, tenantDatabaseName(user.id)), 1);
    const result = await p.temporal.client.workflow.getHandle(workflowId).result();
    assert.equal(result.status, 'ready');
  });
});
