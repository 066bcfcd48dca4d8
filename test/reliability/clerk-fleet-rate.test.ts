/**
 * CLERK_RATE_LIMIT_PER_SECOND is one limit for the fleet, as Clerk counts it: sign-ups' and a rollout's
 * requests together, from two worker processes, measured where Clerk sees them (the stand-in's arrival times),
 * not as activity dispatches. Its own throwaway PostgreSQL: a rollout touches every tenant on the server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import { createClerkApi } from '../../src/clerk/client.js';
import { startFleetMigration } from '../../src/client/fleet-migration.js';
import { startProvisioning } from '../../src/client/provisioning.js';
import { applyMigrations } from '../../src/migrations/index.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { FLEET_DEFAULTS } from '../../src/workflows/fleet-migration-state.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { busiestWindow } from '../../reliability/processes.js';
import { mapLimit } from '../helpers/fleet.js';
import { newUserId } from '../helpers/pipeline.js';
import { testTemporal } from '../helpers/temporal.js';
import { fleetRelease, workerEnv } from '../helpers/worker-env.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const RATE = 5;
/** Half of it for bulk writes: a bulk queue counted on top would be 50% over, far outside the burst allowance. */
const BULK_RATE = 2.5;
const SIGN_UPS = 40;
const TENANTS = 40;
const WINDOW_MS = 10_000;

describe('the Clerk rate limit holds for two workers, sign-ups and a rollout together', () => {
  let postgres: EmbeddedPostgresHandle;
  let standIn: ClerkStandIn;
  let clerk: ReturnType<typeof createClerkApi>;
  let taskQueue: string;
  const workers: WorkerProcess[] = [];

  before(async () => {
    const temporal = await testTemporal();
    postgres = await startThrowawayPostgres('fleet-rate');
    const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
    const passwordSecret = randomBytes(32).toString('hex');
    standIn = await startClerkStandIn({ secretKey });
    clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
    taskQueue = `fleet-rate-${randomBytes(4).toString('hex')}`;
    const release = await fleetRelease('fleet-rate');
    // The fleet at v1, made directly; not Clerk users, so each rollout write is one request answered 404.
    const provider = createPostgresProvider({ adminUrl: postgres.url, passwordSecret, region: 'local' });
    await mapLimit(Array.from({ length: TENANTS }), 4, async () => {
      const database = await provider.create(newUserId(), {});
      await applyMigrations(await provider.adminConnection(database), release.v1);
    });
    await provider.close();
    const env = {
      ...workerEnv({
        databaseUrl: postgres.url,
        passwordSecret,
        clerk: { secretKey, apiUrl: standIn.url },
        taskQueue,
        temporal,
      }),
      MIGRATIONS_DIR: release.migrationsDir,
      CLERK_RATE_LIMIT_PER_SECOND: String(RATE),
      CLERK_BULK_RATE_LIMIT_PER_SECOND: String(BULK_RATE),
      RECONCILE_INTERVAL: 'off',
    };
    for (let i = 0; i < 2; i += 1) workers.push(startWorkerProcess(env));
    await Promise.all(workers.map((w) => w.started));
  });
  after(async () => {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await standIn?.stop();
    await postgres?.stop();
  });

  test(`${SIGN_UPS} sign-ups during a ${TENANTS}-tenant rollout: Clerk sees at most the configured rate`, async (t) => {
    const temporal = await testTemporal();
    const users = await Promise.all(
      Array.from({ length: SIGN_UPS }, () =>
        clerk.users.createUser({ emailAddress: [`rate-${randomBytes(6).toString('hex')}@example.com`] }),
      ),
    );
    const since = Date.now();
    const rollout = await startFleetMigration(
      temporal.client,
      taskQueue,
      { version: 2, file: '0002_note_links.sql' },
      { ...FLEET_DEFAULTS, concurrency: 8 },
    );
    await Promise.all(users.map((u) => startProvisioning(temporal.client, taskQueue, { userId: u.id })));
    await Promise.all(users.map((u) => temporal.client.workflow.getHandle(provisionWorkflowId(u.id)).result()));
    await rollout.result();

    const times = standIn.faultStats().requestTimes.filter((t) => t >= since);
    assert.ok(times.length >= SIGN_UPS + TENANTS, `${times.length} Clerk requests`);
    const busiest = busiestWindow(times, WINDOW_MS);
    // Temporal's token buckets let each queue burst one second's worth on top of its rate (both queues: one
    // second of RATE), and a loaded worker can send dispatched requests late and bunched: one more second's
    // worth. A bulk budget counted on top of RATE (the bug) allows 50% more, well past this bound.
    const allowed = (RATE * WINDOW_MS) / 1000 + 2 * RATE;
    t.diagnostic(`${times.length} Clerk requests, busiest ${WINDOW_MS / 1000} s: ${busiest} (allowed ${allowed})`);
    assert.ok(busiest <= allowed, `busiest ${WINDOW_MS / 1000} s: ${busiest} Clerk requests, allowed ${allowed}`);
  });
});
