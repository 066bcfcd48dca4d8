import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Connection } from '@temporalio/client';
import { freePort } from '../../dev/local/free-port.js';
import { temporalExecutable } from '../../dev/local/temporal-binary.js';
import { startTemporalDevServer } from '../../dev/local/temporal-dev-server.js';
import { testTemporal } from '../helpers/temporal.js';

/** The workflow task queue partitions the server reports (its default is 4: the root and /_sys/<name>/1..3). */
async function workflowPartitions(connection: Connection, namespace: string): Promise<string[]> {
  const taskQueue = `partitions-${randomUUID()}`;
  const answer = await connection.workflowService.listTaskQueuePartitions({
    namespace,
    taskQueue: { name: taskQueue },
  });
  return (answer.workflowTaskQueuePartitions ?? []).map((p) => p.key ?? '');
}

test('the test harness dev server has one partition per task queue', async () => {
  const env = await testTemporal();
  assert.equal((await workflowPartitions(env.connection, env.namespace ?? 'default')).length, 1);
});

test('the local stack dev server (`npm start`, bench) has one partition per task queue', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'per-user-db-partitions-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await startTemporalDevServer({
    executable: await temporalExecutable(process.env),
    port: await freePort(),
    uiPort: await freePort(),
    dbFile: join(dir, 'temporal.db'),
    namespace: 'default',
    logFile: join(dir, 'temporal.log'),
  });
  t.after(() => server.stop());
  const connection = await Connection.connect({ address: server.address });
  t.after(() => connection.close());
  assert.equal((await workflowPartitions(connection, 'default')).length, 1);
});
