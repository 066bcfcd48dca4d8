import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { activityInfo } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { mapActivityFailures } from '../../src/activities/failures.js';
import { MigrationFailedError } from '../../src/migrations/index.js';
import { PermanentProviderError, ProviderRateLimitError } from '../../src/providers/types.js';
import type { ActivityCall, ActivityOutcome } from '../fixtures/workflows/call-activity.js';
import { randomToken, startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { activityAttempts } from '../helpers/workflows.js';

const sqlError = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

/** Activities that fail the way our adapters do, none of them wrapped: the interceptor alone maps them. */
const failing = {
  permanent: async () => {
    throw new PermanentProviderError('no such project', 'NotFound');
  },
  rateLimitedOnce: async () => {
    if (activityInfo().attempt === 1) throw new ProviderRateLimitError('slow down', 1_500);
  },
  brokenMigration: async () => {
    throw new MigrationFailedError('0002_x.sql', 1, sqlError('42P07'));
  },
  deadlockedMigration: async () => {
    throw new MigrationFailedError('0002_x.sql', 1, sqlError('40P01'));
  },
  unknown: async () => {
    throw new Error('something else');
  },
};

describe('activity failures: one interceptor maps every activity error', () => {
  let p: Pipeline;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `activity-failures-${randomToken(6)}`;

  before(async () => {
    p = await startPipeline();
    worker = await Worker.create({
      connection: p.temporal.nativeConnection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/workflows/call-activity.ts', import.meta.url)),
      activities: failing,
      interceptors: { activity: [mapActivityFailures] },
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await p.stop();
  });

  async function call(input: ActivityCall) {
    const handle = await p.temporal.client.workflow.start('callActivity', {
      taskQueue,
      workflowId: `call-${input.name}-${randomToken(6)}`,
      args: [input],
    });
    const outcome = (await handle.result()) as ActivityOutcome;
    const history = await handle.fetchHistory();
    return { outcome, history, attempts: activityAttempts(history, input.name) };
  }

  test('a permanent provider error fails at once, with the type the workflows name', async () => {
    const { outcome, attempts } = await call({ name: 'permanent', args: [] });
    assert.deepEqual(outcome, { ok: false, type: 'NotFound', nonRetryable: true });
    assert.deepEqual(attempts, [1]);
  });

  test("a rate limit is retried after the vendor's Retry-After", async () => {
    const { outcome, history, attempts } = await call({ name: 'rateLimitedOnce', args: [] });
    assert.deepEqual(outcome, { ok: true });
    assert.deepEqual(attempts, [2]);
    const started = history.events?.find((e) => e.activityTaskStartedEventAttributes?.attempt === 2);
    const lastFailure = started?.activityTaskStartedEventAttributes?.lastFailure?.applicationFailureInfo;
    assert.equal(lastFailure?.type, 'RateLimited');
    assert.equal(Number(lastFailure?.nextRetryDelay?.seconds), 1);
    assert.equal(lastFailure?.nextRetryDelay?.nanos, 500_000_000);
  });

  test('a migration failing on its SQL is permanent; a deadlock or an unknown error is retried', async () => {
    const broken = await call({ name: 'brokenMigration', args: [] });
    assert.deepEqual(broken.outcome, { ok: false, type: 'MigrationFailed', nonRetryable: true });
    assert.deepEqual(broken.attempts, [1]);
    for (const name of ['deadlockedMigration', 'unknown']) {
      const { outcome, attempts } = await call({ name, args: [] });
      assert.equal(outcome.nonRetryable, false, name);
      assert.deepEqual(attempts, [3], `${name} used every attempt`);
    }
  });

  test("the worker's real activities on both task queues map their errors (none hand-wrapped any more)", async () => {
    const { taskQueue: main, clerkTaskQueue } = p.config.temporal;
    const notATenant = { provider: 'postgres', name: 'not-a-tenant', region: 'local' };
    for (const [name, args] of [
      ['migrateTenant', [{ tenant: notATenant, targetVersion: 1 }]],
      ['applyMigrations', [notATenant]],
    ] as const) {
      const { outcome, attempts } = await call({ name, args: [...args], taskQueue: main });
      assert.deepEqual(outcome, { ok: false, type: 'InvalidName', nonRetryable: true }, name);
      assert.deepEqual(attempts, [1], name);
    }
    const missing = `user_${randomToken(8)}`;
    const { outcome, attempts } = await call({
      name: 'recordOnClerk',
      args: [missing, { status: 'ready' }],
      taskQueue: clerkTaskQueue,
    });
    assert.deepEqual(outcome, { ok: false, type: 'ClerkUserNotFound', nonRetryable: true });
    assert.deepEqual(attempts, [1]);
  });
});
