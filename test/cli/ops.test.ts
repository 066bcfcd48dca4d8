/**
 * The operator CLI (`src/cli.ts status|provision|deprovision|restore|reconcile|list`) as a child process, against the
 * real worker, the shared Temporal dev server and PostgreSQL, and a Clerk stand-in without webhook endpoints
 * (users signed up there get a database only through the CLI or reconciliation).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createClerkApi, type ClerkClient } from '../../src/clerk/client.js';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { loadConfig } from '../../src/config/index.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { startDeprovisioning } from '../../src/client/deprovisioning.js';
import type { DatabaseStatus } from '../../src/client/status.js';
import { deprovisionStatusQuery } from '../../src/workflows/deprovision.js';
import { deprovisionWorkflowId, type DeprovisionState } from '../../src/workflows/deprovision-state.js';
import type { ReconcileReport } from '../../src/workflows/reconcile-state.js';
import { runWorker, type RunningWorker } from '../../src/worker/run.js';
import { databaseCount } from '../helpers/databases.js';
import { eventually, randomToken } from '../helpers/pipeline.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { testTemporal } from '../helpers/temporal.js';
import { provisioningExists } from '../helpers/workflows.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('operator CLI', () => {
  let standIn: ClerkStandIn;
  let clerk: ClerkClient;
  let worker: RunningWorker;
  let env: Record<string, string>;
  let adminUrl: string;

  function cli(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { ...env, ...extraEnv } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }
  const signUp = async () => (await clerk.users.createUser({ emailAddress: [`ops-${randomToken(6)}@example.com`] })).id;

  before(async () => {
    const temporal = await testTemporal();
    adminUrl = await testDatabaseUrl();
    const secretKey = `sk_test_${randomToken(24)}`;
    standIn = await startClerkStandIn({ secretKey });
    clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
    env = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: adminUrl,
      TENANT_PASSWORD_SECRET: randomToken(32),
      CLERK_SECRET_KEY: secretKey,
      CLERK_API_URL: standIn.url,
      TASK_QUEUE: `ops-${randomToken(6)}`,
      TEMPORAL_ADDRESS: temporal.connection.options.address ?? '',
      TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
      CLERK_RATE_LIMIT_PER_SECOND: '100',
      RECONCILE_INTERVAL: 'off',
      LOG_LEVEL: 'warn',
    };
    worker = await runWorker(loadConfig(env, 'worker'), { connection: temporal.nativeConnection });
  });

  after(async () => {
    await worker?.shutdown();
    await standIn?.stop();
  });

  test('provision, then status as a table and as JSON; a second provision leaves it alone', async () => {
    const userId = await signUp();
    const unknown = await cli(['status', userId]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no provisioning workflow/);

    const provisioned = await cli(['provision', userId]);
    assert.equal(provisioned.code, 0, provisioned.stderr);
    assert.match(provisioned.stderr, new RegExp(`Provisioning ${userId}: http://127\\.0\\.0\\.1:8233/namespaces/`));
    assert.match(provisioned.stdout, /^status: +ready$/m);
    assert.match(provisioned.stdout, new RegExp(`^database: +${tenantDatabaseName(userId)}$`, 'm'));
    assert.equal(await databaseCount(adminUrl, tenantDatabaseName(userId)), 1);

    const [asJson, again] = await Promise.all([cli(['status', userId, '--json']), cli(['provision', userId])]);
    assert.equal(asJson.code, 0, asJson.stderr);
    const status = JSON.parse(asJson.stdout) as DatabaseStatus;
    assert.equal(status.status, 'ready');
    assert.equal(status.database?.name, tenantDatabaseName(userId));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /provisioned before/);
    assert.match(again.stdout, /^status: +ready$/m);
  });

  test('list shows each user with Clerk’s record and the database, as a table and as JSON', async () => {
    const [withDb, without] = [await signUp(), await signUp()];
    assert.equal((await cli(['provision', withDb, '--json'])).code, 0);

    const [table, asJson, limited] = await Promise.all([
      cli(['list']),
      cli(['list', '--json']),
      cli(['list', '--limit', '1', '--json']),
    ]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^USER +CLERK STATUS +DATABASE +PROBLEM$/m);
    assert.match(table.stdout, new RegExp(`^${withDb} +ready +${tenantDatabaseName(withDb)}$`, 'm'));
    assert.match(table.stdout, new RegExp(`^${without} +— +— +no database$`, 'm'));
    const listed = JSON.parse(asJson.stdout) as {
      totalUsers: number;
      users: Array<{ userId: string; clerkStatus: string | null; database: string | null }>;
    };
    assert.deepEqual(
      listed.users.find((u) => u.userId === without),
      { userId: without, clerkStatus: null, database: null, problem: 'no database' },
    );
    assert.equal(listed.users.find((u) => u.userId === withDb)?.database, tenantDatabaseName(withDb));
    assert.equal((JSON.parse(limited.stdout) as typeof listed).users.length, 1);
    assert.equal(listed.totalUsers, listed.users.length);
  });

  test('reconcile --dry-run prints the plan and changes nothing; reconcile repairs, with a progress line', async () => {
    const missed = await signUp();
    const plan = await cli(['reconcile', '--dry-run', '--json']);
    assert.equal(plan.code, 0, plan.stderr);
    const report = JSON.parse(plan.stdout) as ReconcileReport;
    assert.equal(report.dryRun, true);
    assert.ok(report.toProvisionIds.includes(missed));
    assert.equal(report.provisioningStarted, 0);
    const { client } = await testTemporal();
    assert.equal(await provisioningExists(client, missed), false);
    assert.match(plan.stderr, /Reconciling: http/);
    assert.match(plan.stderr, /\[[█░]{24}\] +\d+%/, 'a progress bar');

    const run = await cli(['reconcile']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Users without a database: \d+ \(provisioning started for \d+\)$/m);
    assert.match(run.stdout, new RegExp(`^  ${missed}$`, 'm'));
    assert.match(run.stdout, /^Orphan databases \(no Clerk user\): \d+ \(reported only/m);
    assert.equal(await provisioningExists(client, missed), true);
    const status = await cli(['status', missed, '--json']);
    assert.notEqual((JSON.parse(status.stdout) as DatabaseStatus).status, 'failed');
  });

  test('deprovision removes the database', async () => {
    const userId = await signUp();
    assert.equal((await cli(['provision', userId])).code, 0);
    const removed = await cli(['deprovision', userId, '--json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((JSON.parse(removed.stdout) as { userId: string }).userId, userId);
    assert.equal(await databaseCount(adminUrl, tenantDatabaseName(userId)), 0);
  });

  test('restore keeps a database whose deletion is in its grace period; then nothing is left to restore', async () => {
    const userId = await signUp();
    assert.equal((await cli(['provision', userId])).code, 0);
    const { client } = await testTemporal();
    await startDeprovisioning(client, env.TASK_QUEUE!, { userId, reason: 'operator', gracePeriodMs: 3_600_000 });
    const deletion = client.workflow.getHandle(deprovisionWorkflowId(userId));
    await eventually(
      async () => (await deletion.query(deprovisionStatusQuery).catch(() => undefined))?.status === 'locked',
      'deletion locked in its grace period',
    );
    const deleting = await cli(['status', userId, '--json']);
    assert.equal((JSON.parse(deleting.stdout) as DatabaseStatus).status, 'deleting');

    const restored = await cli(['restore', userId]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, new RegExp(`^${userId}: deletion stopped \\(restored\\); the database is kept`, 'm'));
    assert.equal(((await deletion.result()) as DeprovisionState).status, 'restored');
    assert.equal(await databaseCount(adminUrl, tenantDatabaseName(userId)), 1);
    const status = await cli(['status', userId, '--json']);
    assert.equal((JSON.parse(status.stdout) as DatabaseStatus).status, 'ready');

    const [again, never] = await Promise.all([
      cli(['restore', userId, '--json']),
      cli(['restore', 'user_NeverDeleted1']),
    ]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      new RegExp(`${userId} cannot be restored: its deletion has already ended \\(restored\\)`),
    );
    assert.equal(never.code, 1);
    assert.match(never.stderr, /user_NeverDeleted1 has no deletion to restore/);
  });

  test('bad arguments and configuration exit with 2, naming what is wrong', async () => {
    const results = await Promise.all([
      cli(['status', 'not-a-user']),
      cli(['provision', 'user_abc', '--region', 'Bad Region!']),
      cli(['list', '--limit', '0']),
      cli(['reconcile', '--no-such-option']),
      cli(['deprovision']),
      cli(['restore', 'nobody']),
      cli(['list'], { CLERK_SECRET_KEY: '' }),
      cli(['reconcile'], { RECONCILE_INTERVAL: 'sometimes' }),
    ]);
    for (const r of results) assert.equal(r.code, 2, r.stderr);
    const [badUser, badRegion, badLimit, unknownOption, missingArg, badRestore, noKey, badInterval] = results.map(
      (r) => r.stderr,
    );
    assert.match(badUser!, /<userId> must be a Clerk user id/);
    assert.match(badRegion!, /--region must be a region name/);
    assert.match(badLimit!, /--limit must be at least 1/);
    assert.match(unknownOption!, /unknown option '--no-such-option'/);
    assert.match(missingArg!, /missing required argument 'userId'/);
    assert.match(badRestore!, /<userId> must be a Clerk user id/);
    assert.match(noKey!, /CLERK_SECRET_KEY: required/);
    assert.match(badInterval!, /RECONCILE_INTERVAL: must be "off" or a whole number/);
  });
});
