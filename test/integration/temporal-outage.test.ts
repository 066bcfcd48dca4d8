import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { databaseCount, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, startPipeline, userCreatedEvent, type Pipeline } from '../helpers/pipeline.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { testTemporal } from '../helpers/temporal.js';
import { provisioningExists } from '../helpers/workflows.js';

async function readyz(p: Pipeline) {
  const res = await fetch(`${p.receiver.url}/readyz`);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as object };
}

describe('Temporal unreachable: the receiver answers 503 so Svix retries, and the retry provisions', () => {
  let proxy: TcpProxy;
  let p: Pipeline;

  before(async () => {
    const address = (await testTemporal()).connection.options.address ?? '';
    const at = address.lastIndexOf(':');
    proxy = await startTcpProxy(address.slice(0, at), Number(address.slice(at + 1)));
    // Only the receiver goes through the proxy; the worker keeps its direct connection.
    p = await startPipeline({
      env: { TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}` },
      receiverOwnsTemporalClient: true,
    });
  });
  after(async () => {
    await p.stop();
    await proxy.close();
  });

  test('down: 503 + Retry-After, nothing started; back up: the stand-in’s retry gets 202 and the database is ready', async () => {
    assert.equal((await readyz(p)).status, 200);
    await proxy.down();

    const notReady = await readyz(p);
    assert.equal(notReady.status, 503);
    assert.ok(Number(notReady.retryAfter) > 0, `Retry-After: ${notReady.retryAfter}`);
    assert.deepEqual(Object.keys(notReady.body), ['error']);

    const user = await p.clerk.users.createUser({ emailAddress: [`outage-${Date.now()}@example.com`] });
    // Clerk's own delivery is refused with 503 …
    await eventually(async () => {
      const attempts = p.standIn.deliveries({ userId: user.id })[0]?.attempts ?? [];
      return attempts.some((a) => a.statusCode === 503);
    }, 'a delivery attempt answered 503');
    // … and so is a direct post, with Retry-After and the error shape.
    const direct = await p.postEvent(userCreatedEvent(user.id));
    assert.equal(direct.status, 503);
    assert.ok(Number(direct.headers.get('retry-after')) > 0);
    assert.equal((direct.body.error as { code: string }).code, 'temporal_unavailable');
    assert.equal(await provisioningExists(p.temporal.client, user.id), false);

    await proxy.up();
    const delivery = await p.standIn.waitForDelivery({ userId: user.id }, 90_000);
    assert.equal(delivery.state, 'succeeded');
    const statuses = delivery.attempts.map((a) => a.statusCode);
    assert.equal(statuses[0], 503);
    assert.equal(statuses.at(-1), 202);
    assert.ok(
      statuses.slice(0, -1).every((s) => s === 503),
      statuses.join(','),
    );

    await waitForReadyMetadata(p, user.id);
    assert.equal(await databaseCount(p.adminUrl, tenantDatabaseName(user.id)), 1);
    await eventually(async () => (await readyz(p)).status === 200, '/readyz 200 again');
  });
});
