/**
 * SIGTERM is a graceful stop: the receiver stops accepting connections but answers the request in flight, and
 * the worker lets its running activity finish before it exits 0.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, newUserId, startPipeline, userCreatedEvent, type Pipeline } from '../helpers/pipeline.js';
import { startServiceProcess, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { localActivityMarkers, workflowTaskStarted } from '../helpers/workflows.js';

const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('graceful shutdown on SIGTERM', () => {
  let p: Pipeline;
  let child: WorkerProcess | undefined;

  before(async () => {
    p = await startPipeline({ withoutWorker: true });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await p.stop();
  });

  test('the receiver answers a webhook whose body is still arriving when SIGTERM comes, then exits 0', async () => {
    child = startServiceProcess('webhook', { ...p.rawEnv, PORT: '0', WEBHOOK_DRAIN_TIME: '20s' });
    await child.started;
    const port = Number(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(child.output())?.[1]);
    const body = JSON.stringify(userCreatedEvent(newUserId()));
    const half = Math.floor(body.length / 2);
    // A slow client: headers and half the body now, the rest after the receiver got SIGTERM.
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/webhooks/clerk',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...p.signHeaders(body),
      },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.once('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => req.write(body.slice(0, half), (e) => (e ? reject(e) : resolve())));
    // Answered on a later connection: the receiver has accepted ours, which came first, and read what we sent.
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

    child.kill('SIGTERM');
    await eventually(() => refusesConnections(port), 'the receiver no longer accepting connections', 20_000);
    req.end(body.slice(half));

    const { status, body: text } = await answer;
    assert.equal(status, 202, text);
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });

  test('the worker lets a running createDatabase finish, then exits 0', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`term-${Date.now()}@example.com`] });
    const lock = new pg.Client(p.adminUrl);
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [tenantDatabaseName(user.id)]);
    child = startWorkerProcess({ ...p.rawEnv, WORKER_SHUTDOWN_GRACE_TIME: '25s', WORKER_SHUTDOWN_FORCE_TIME: '30s' });
    await child.started;
    const workflowId = provisionWorkflowId(user.id);
    const pid = child.pid;
    // A local activity, inside the workflow task the worker process holds (the only worker running), its SQL
    // waiting on our lock.
    const waitedOn = async () => {
      const { rows } = await lock.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      return rows[0]!.n > 0;
    };
    await eventually(
      async () => (await workflowTaskStarted(p.temporal.client, workflowId)) && waitedOn(),
      'createDatabase running on the worker process',
    );

    child.kill('SIGTERM');
    // The step is still held in PostgreSQL when the worker learns it must stop; it is let go only now.
    await lock.end();
    assert.deepEqual(await child.exited, { code: 0, signal: null });

    await p.startWorker();
    await waitForReadyMetadata(p, user.id);
    const history = await p.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const [created] = localActivityMarkers(history, 'createDatabase');
    assert.ok(
      created?.identity.startsWith(`${pid}@`),
      `createDatabase completed on ${created?.identity}, the stopped worker`,
    );
    assert.equal(created?.failed, false);
  });
});
