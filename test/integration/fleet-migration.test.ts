/**
 * The fleet migration on real components: its own embedded PostgreSQL (a fleet migration touches every tenant
 * on the server, so it must not share one with other test files), the shared Temporal dev server, the Clerk
 * stand-in, and workers and CLI commands as child processes (`src/cli.ts worker`, `src/cli.ts migrate …`).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { createClerkApi } from '../../src/clerk/client.js';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import {
  fleetMigrationWorkflowId,
  fleetProgressQuery,
  type FleetProgress,
  type FleetReport,
} from '../../src/workflows/fleet-migration-state.js';
import { cliProcesses, createV1Tenant, fleetCliEnv, mapLimit } from '../helpers/fleet.js';
import { fleetRelease } from '../helpers/worker-env.js';
import { eventually, randomToken } from '../helpers/pipeline.js';
import { testTemporal } from '../helpers/temporal.js';

const TENANTS = 210;
const BROKEN = 5;

describe('fleet migration: a schema change rolled out to every tenant', () => {
  let postgres: EmbeddedPostgresHandle;
  let standIn: ClerkStandIn;
  let provider: DatabaseProvider;
  let env: Record<string, string>;
  let workflowId: string;
  let workerA: ChildProcess;
  const userIds: string[] = [];
  const broken = new Set<string>();
  const { spawnCli, runCli, startWorker, killAll } = cliProcesses(() => env);

  async function progress(): Promise<FleetProgress> {
    const { client } = await testTemporal();
    return client.workflow.getHandle(workflowId).query(fleetProgressQuery);
  }

  /** What a tenant database holds: its recorded versions and whether 0002's objects are there. */
  async function tenantState(userId: string) {
    const client = new pg.Client({ ...parseIntoClientConfig(postgres.url), database: tenantDatabaseName(userId) });
    await client.connect();
    try {
      const { rows } = await client.query<{ versions: number[]; pinned: boolean; links: string[] }>(
        `SELECT
           (SELECT array_agg(version ORDER BY version) FROM per_user_db_schema_migrations) AS versions,
           EXISTS (SELECT FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'pinned') AS pinned,
           (SELECT coalesce(array_agg(column_name::text ORDER BY column_name), '{}') FROM information_schema.columns
             WHERE table_name = 'note_links') AS links`,
      );
      return rows[0]!;
    } finally {
      await client.end();
    }
  }

  before(async () => {
    const temporal = await testTemporal();
    postgres = await startThrowawayPostgres('fleet');
    // This server is the test's own: trade durability for speed (CREATE DATABASE checkpoints).
    const tuning = new pg.Client(postgres.url);
    await tuning.connect();
    for (const setting of ['fsync', 'full_page_writes', 'synchronous_commit']) {
      await tuning.query(`ALTER SYSTEM SET ${setting} = off`);
    }
    await tuning.query('SELECT pg_reload_conf()');
    await tuning.end();
    const secretKey = `sk_test_${randomToken(24)}`;
    standIn = await startClerkStandIn({ secretKey });
    const passwordSecret = randomToken(32);
    provider = createPostgresProvider({ adminUrl: postgres.url, passwordSecret, region: 'local', poolSize: 6 });

    // The release being rolled out: the real 0001 plus the fixture's 0002.
    const { migrationsDir, v1 } = await fleetRelease('fleet');

    const taskQueue = `fleet-${randomToken(6)}`;
    workflowId = fleetMigrationWorkflowId(taskQueue);
    env = fleetCliEnv(
      {
        databaseUrl: postgres.url,
        passwordSecret,
        clerk: { secretKey, apiUrl: standIn.url },
        taskQueue,
        temporal,
      },
      migrationsDir,
      { CLERK_RATE_LIMIT_PER_SECOND: '200' },
    );
    // Worker A starts (bundling takes a while) while the fleet is made.
    const workerAStarting = startWorker();

    // The fleet at v1, made directly (much faster than sign-ups): Clerk users with their metadata, databases.
    const clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
    const provisionedAt = new Date().toISOString();
    await mapLimit(Array.from({ length: TENANTS }), 8, async () => {
      userIds.push(await createV1Tenant(clerk, provider, v1, provisionedAt));
    });
    // A conflicting object in a few tenants: 0002 fails there, the same way every time.
    for (const userId of userIds.slice(0, BROKEN)) {
      const client = new pg.Client(
        await provider.adminConnection({ provider: 'postgres', name: tenantDatabaseName(userId), region: 'local' }),
      );
      await client.connect();
      await client.query('CREATE TABLE note_links (x int)');
      await client.end();
      broken.add(userId);
    }

    workerA = await workerAStarting;
  });

  after(async () => {
    killAll();
    await provider?.close();
    await standIn?.stop();
    await postgres?.stop();
  });

  test('200+ tenants: failures reported, a killed worker, pause/resume, every tenant at v1 or v2 exactly', async (t) => {
    const t0 = Date.now();
    const mark = (what: string) => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    const rollout = spawnCli([
      'migrate',
      '--json',
      '--concurrency',
      '8',
      '--page-size',
      '40',
      // Small batches: tenants still start after the history's limit, so the rollout continues as new.
      '--batch-size',
      '2',
      '--history-events',
      '500',
    ]);

    // Kill the worker mid-run (SIGKILL: no goodbye); in-flight tenants must roll back or finish, never half.
    await eventually(async () => {
      const p = await progress().catch(() => undefined);
      return p && p.done + p.failed >= 30;
    }, '30 tenants done');
    mark('30 done; killing worker A');
    workerA.kill('SIGKILL');
    await new Promise((r) => workerA.once('exit', r));

    // Pause while no worker runs: the update waits for the next worker, which takes it first.
    const pause = spawnCli(['migrate', 'pause']);
    await startWorker(); // stays up for the rest of the file
    mark('worker B up');
    const paused = await pause.result;
    mark('pause accepted');
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /Paused/);

    const still = await eventually(async () => {
      const p = await progress();
      return p.state === 'paused' && p.inFlight === 0 && p;
    }, 'paused with nothing in flight');
    mark('paused, nothing in flight');
    assert.ok(still.done + still.failed < TENANTS, 'paused before the end');
    // While paused: a second rollout is refused, status answers, and nothing moves.
    const [second, status] = await Promise.all([
      runCli(['migrate']),
      runCli(['migrate', 'status', '--json']),
      new Promise((r) => setTimeout(r, 2_000)),
    ]);
    const later = await progress();
    assert.equal(later.done + later.failed, still.done + still.failed, 'no progress while paused');
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already running/);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as FleetProgress).state, 'paused');

    const resumed = await runCli(['migrate', 'resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const resumedAt = Date.now();
    mark('resumed');

    const finished = await rollout.result;
    assert.equal(finished.code, 1, 'exit code 1: some tenants failed');
    const report = JSON.parse(finished.stdout) as FleetReport;
    const afterResume = (Date.parse(report.finishedAt) - resumedAt) / 1000;
    mark(`done; ${TENANTS - later.done - later.failed} tenants after the resume in ${afterResume} s`);
    t.diagnostic(
      `${report.total} tenants, ${report.ratePerSecond} tenants/s while running, ${report.runs} runs, ` +
        `migrated ${report.migrated}, up to date ${report.upToDate}, failed ${report.failed}`,
    );
    assert.equal(report.state, 'completed');
    assert.equal(report.total, TENANTS);
    assert.equal(report.failed, BROKEN);
    assert.equal(report.done, TENANTS - BROKEN);
    assert.equal(report.pending, 0);
    assert.ok(report.runs >= 2, `continued as new (${report.runs} runs)`);
    assert.deepEqual(new Set(report.failures.map((f) => f.userId)), broken);
    for (const failure of report.failures) {
      assert.equal(failure.stage, 'migrate');
      assert.match(failure.error, /0002_note_links\.sql failed \(SQLSTATE 42P07\).*still at version 1/);
    }
    assert.equal(report.clerk.failed, 0);
    assert.ok(report.clerk.updated >= report.migrated, 'Clerk told about every tenant this rollout moved');

    // The databases: v2 complete, or v1 untouched (0002's first statement rolled back with the second).
    const states = await mapLimit(userIds, 8, async (userId) => ({ userId, ...(await tenantState(userId)) }));
    for (const s of states) {
      if (broken.has(s.userId)) {
        assert.deepEqual(s.versions, [1], s.userId);
        assert.equal(s.pinned, false, s.userId);
        assert.deepEqual(s.links, ['x'], s.userId);
      } else {
        assert.deepEqual(s.versions, [1, 2], s.userId);
        assert.equal(s.pinned, true, s.userId);
        assert.deepEqual(s.links, ['from_note', 'to_note'], s.userId);
      }
    }

    // Clerk: schemaVersion moved for migrated users only; the rest of the record kept (deep merge).
    const clerk = createClerkApi({ secretKey: env.CLERK_SECRET_KEY!, apiUrl: standIn.url });
    await mapLimit(userIds, 8, async (userId) => {
      const database = (await clerk.users.getUser(userId)).publicMetadata.database as Record<string, unknown>;
      assert.equal(database.schemaVersion, broken.has(userId) ? 1 : 2, userId);
      assert.equal(database.name, tenantDatabaseName(userId));
      assert.equal(typeof database.provisionedAt, 'string');
    });

    mark('databases and Clerk checked');
    const last = await runCli(['migrate', 'status']);
    assert.equal(last.code, 1, 'the last report has failures');
    assert.match(last.stdout, /completed .*205 tenants at v2.*5 failed/s);
  });

  test('migrate --user retries one tenant; a tenant still broken, an unknown user or a bad option exits non-zero', async () => {
    const [fixed, stillBroken] = [...broken];
    const admin = new pg.Client({ ...parseIntoClientConfig(postgres.url), database: tenantDatabaseName(fixed!) });
    await admin.connect();
    await admin.query('DROP TABLE note_links');
    await admin.end();

    const [retried, failing, unknown, bad] = await Promise.all([
      runCli(['migrate', '--user', fixed!, '--json']),
      runCli(['migrate', '--user', stillBroken!]),
      runCli(['migrate', '--user', 'user_NoSuchUser123']),
      runCli(['migrate', '--concurrency', '0']),
    ]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.deepEqual((JSON.parse(retried.stdout) as { applied: number[] }).applied, [2]);
    assert.deepEqual((await tenantState(fixed!)).versions, [1, 2]);
    const clerk = createClerkApi({ secretKey: env.CLERK_SECRET_KEY!, apiUrl: standIn.url });
    const database = (await clerk.users.getUser(fixed!)).publicMetadata.database as Record<string, unknown>;
    assert.equal(database.schemaVersion, 2);

    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /relation "note_links" already exists/);
    assert.deepEqual((await tenantState(stillBroken!)).versions, [1]);

    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no tenant database for user_NoSuchUser123/);

    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency must be at least 1/);
  });
});
