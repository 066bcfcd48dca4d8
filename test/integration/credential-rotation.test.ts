/**
 * Rotating TENANT_PASSWORD_SECRET on real components: an embedded PostgreSQL of this file's own (password
 * authentication, SCRAM; a rotation touches every tenant on the server), the shared Temporal dev server, a
 * worker and the CLI as child processes configured only by their environment.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import { schemaVersion } from '../../src/migrations/index.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { connectTenant, tenantConnectionConfig } from '../../src/providers/tenant-connection.js';
import { tenantPassword, tenantPasswordVerifier } from '../../src/providers/tenant-credentials.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { credentialRotationWorkflowId, type FleetReport } from '../../src/workflows/fleet-migration-state.js';
import { eventually, newUserId, randomToken } from '../helpers/pipeline.js';
import { testTemporal } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { historyText } from '../helpers/workflows.js';

const TENANTS = 24;

/** How a login as the tenant with `secret` ends: 'ok' or the SQLSTATE (28P01: wrong password). */
async function logIn(adminUrl: string, secret: string, userId: string): Promise<string> {
  const client = new pg.Client(tenantConnectionConfig({ adminUrl, passwordSecret: secret }, userId));
  try {
    await client.connect();
    await client.end();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('credential rotation: TENANT_PASSWORD_SECRET replaced without breaking a tenant login', () => {
  let postgres: EmbeddedPostgresHandle;
  let worker: WorkerProcess | undefined;
  let env: Record<string, string>;
  let taskQueue: string;
  const s1 = randomToken(32);
  const s2 = randomToken(32);
  const userIds = Array.from({ length: TENANTS }, () => newUserId());

  before(async () => {
    const temporal = await testTemporal();
    postgres = await startThrowawayPostgres('rotation');
    taskQueue = `rotation-${randomToken(6)}`;
    env = {
      ...(process.env as Record<string, string>),
      DB_PROVIDER: 'postgres',
      DATABASE_URL: postgres.url,
      TENANT_PASSWORD_SECRET: s2,
      TENANT_PASSWORD_SECRET_PREVIOUS: s1,
      CLERK_SECRET_KEY: `sk_test_${randomToken(24)}`,
      TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: temporal.connection.options.address ?? '',
      RECONCILE_INTERVAL: 'off',
      LOG_LEVEL: 'info',
    };
    // The fleet as the old secret made it.
    const old = createPostgresProvider({ adminUrl: postgres.url, passwordSecret: s1, region: 'local' });
    try {
      for (const userId of userIds) await old.create(userId, {});
    } finally {
      await old.close();
    }
  });

  after(async () => {
    worker?.kill('SIGKILL');
    await postgres?.stop();
  });

  test('with the previous secret set, apps log in before the rotation; afterwards only the new secret works', async (t) => {
    const [sample] = userIds as [string];
    assert.equal(await logIn(postgres.url, s1, sample), 'ok');
    assert.equal(await logIn(postgres.url, s2, sample), '28P01');
    // During the rotation an app holding both secrets gets in (the new one refused, the previous one tried).
    const during = await connectTenant(
      { adminUrl: postgres.url, passwordSecret: s2, previousPasswordSecret: s1 },
      sample,
    );
    await during.end();
    // So does the migration runner: the provider hands it the settings that log in.
    const migrating = createPostgresProvider({
      adminUrl: postgres.url,
      passwordSecret: s2,
      previousPasswordSecret: s1,
      region: 'local',
    });
    try {
      const tenant = { provider: 'postgres' as const, name: tenantDatabaseName(sample), region: 'local' };
      assert.equal(await schemaVersion(await migrating.adminConnection(tenant)), 0);
    } finally {
      await migrating.close();
    }

    worker = startWorkerProcess(env);
    await worker.started;
    const started = Date.now();
    // Pages of 1, batches of 2 and 100 events per run: the rotation continues as new a few times on the way.
    const rotation = await runCli(
      [
        'rotate-credentials',
        '--json',
        '--concurrency',
        '4',
        '--page-size',
        '1',
        '--batch-size',
        '2',
        '--history-events',
        '100',
      ],
      env,
    );
    assert.equal(rotation.code, 0, rotation.stderr);
    const report = JSON.parse(rotation.stdout) as FleetReport;
    t.diagnostic(`${TENANTS} tenants rotated in ${(Date.now() - started) / 1000} s over ${report.runs} runs`);
    assert.equal(report.state, 'completed');
    assert.equal(report.total, TENANTS);
    assert.equal(report.migrated, TENANTS);
    assert.equal(report.failed, 0);
    assert.ok(report.runs >= 2, `continued as new (${report.runs} runs)`);

    for (const userId of userIds) {
      assert.deepEqual([await logIn(postgres.url, s2, userId), await logIn(postgres.url, s1, userId)], ['ok', '28P01']);
    }

    // Neither secret, nor a password or verifier derived from one, is anywhere in any run's history.
    const { client } = await testTemporal();
    const workflowId = credentialRotationWorkflowId(taskQueue);
    const runs = await eventually(async () => {
      const found = [];
      for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(run.runId);
      return found.length === report.runs && found;
    }, 'every run of the rotation listed');
    const forbidden = [s1, s2, tenantPassword(s1, sample), tenantPassword(s2, sample)];
    forbidden.push(await tenantPasswordVerifier(s2, sample));
    for (const runId of runs) {
      const text = historyText(await client.workflow.getHandle(workflowId, runId).fetchHistory());
      assert.ok(text.includes('rotateTenantsCredentials'), 'the history is the rotation’s');
      for (const secret of forbidden) assert.ok(!text.includes(secret), `run ${runId} holds a secret`);
    }

    // Run again: nothing breaks, every tenant is set to the same verifier.
    const again = await runCli(['rotate-credentials', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as FleetReport).migrated, TENANTS);
    assert.equal(await logIn(postgres.url, s2, sample), 'ok');
  });
});
