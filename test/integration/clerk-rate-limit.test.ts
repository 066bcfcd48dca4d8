import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { startPipelineBehindPostgresProxy, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, type Pipeline } from '../helpers/pipeline.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import {
  activityAttempts,
  activityLastFailureTypes,
  localActivityRetrying,
  pendingActivity,
} from '../helpers/workflows.js';

const USERS = 4;
/** Not an interval the activity's own retry policy produces (1 s, 2 s, 4 s …): seen only if Retry-After is used. */
const RETRY_AFTER_SECONDS = 3;

describe('Clerk answering 429 + Retry-After: the metadata write waits as told and then succeeds', () => {
  let p: Pipeline;

  let proxy: TcpProxy;

  let stop: () => Promise<void>;

  before(async () => {
    ({ p, proxy, stop } = await startPipelineBehindPostgresProxy());
  });
  after(() => stop());

  test(`${USERS} sign-ups under rate limiting: each write retried after Retry-After, all ready, no per-user limit hit`, async () => {
    // PostgreSQL held back so every run waits in createDatabase, past the Clerk user check: the first Clerk call
    // after the outage is the metadata write, and only that one meets the 429s.
    await proxy.down();
    const users = [];
    for (let i = 0; i < USERS; i++) {
      users.push(await p.clerk.users.createUser({ emailAddress: [`rl-${i}-${Date.now()}@example.com`] }));
    }
    for (const user of users) {
      await eventually(
        () => localActivityRetrying(p.temporal.client, provisionWorkflowId(user.id), 'createDatabase'),
        `${user.id} waiting in createDatabase`,
      );
    }
    p.standIn.setFaults({ tooManyRequestsShare: 1, tooManyRequestsRetryAfterSeconds: RETRY_AFTER_SECONDS });
    await proxy.up();

    for (const user of users) {
      const waiting = await eventually(async () => {
        const activity = await pendingActivity(p.temporal.client, provisionWorkflowId(user.id));
        const retrying =
          activity?.activityType?.name === 'recordOnClerkIfUserExists' &&
          activity.state === 1 && // SCHEDULED: waiting for its next attempt
          (activity.attempt ?? 0) >= 2;
        return retrying ? activity : undefined;
      }, `recordOnClerkIfUserExists waiting to retry for ${user.id}`);
      assert.equal(waiting.lastFailure?.applicationFailureInfo?.type, 'RateLimited');
      // The server scheduled the next attempt Retry-After after the failure, not after the policy's interval.
      const delayMs = tsToMs(waiting.nextAttemptScheduleTime) - tsToMs(waiting.lastAttemptCompleteTime);
      assert.ok(Math.abs(delayMs - RETRY_AFTER_SECONDS * 1000) < 250, `next attempt ${delayMs} ms after the failure`);
    }

    p.standIn.setFaults({ tooManyRequestsShare: 0 });
    for (const user of users) {
      const ready = await waitForReadyMetadata(p, user.id);
      assert.equal((ready.publicMetadata.database as { status: string }).status, 'ready');
      const history = await p.temporal.client.workflow.getHandle(provisionWorkflowId(user.id)).fetchHistory();
      const attempts = activityAttempts(history, 'recordOnClerkIfUserExists');
      assert.ok(attempts.at(-1)! > 1, `recordOnClerkIfUserExists attempts: ${attempts.join(',')}`);
      assert.ok(activityLastFailureTypes(history, 'recordOnClerkIfUserExists').includes('RateLimited'));
    }

    const stats = p.standIn.faultStats();
    assert.ok(stats.injectedTooManyRequests >= USERS);
    assert.equal(stats.userMetadataLimitRefusals, 0);
    for (const user of users) assert.ok((stats.metadataWritesByUser[user.id]?.length ?? 0) >= 1, user.id);
  });
});
