/**
 * A fleet migration meeting a tenant whose Clerk user was deleted (the database outlived its user): the tenant
 * is migrated, then reported as an orphan for `per-user-db reconcile`, not as a failure. Real components as in
 * fleet-migration.test.ts: its own embedded PostgreSQL, the shared Temporal dev server, the Clerk stand-in, a
 * worker and the CLI as child processes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import { createClerkApi } from '../../src/clerk/client.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import type { Migration } from '../../src/migrations/index.js';
import type { FleetReport } from '../../src/workflows/fleet-migration-state.js';
import { cliProcesses, createV1Tenant, fleetCliEnv, mapLimit } from '../helpers/fleet.js';
import { fleetRelease } from '../helpers/worker-env.js';
import { randomToken } from '../helpers/pipeline.js';
import { testTemporal } from '../helpers/temporal.js';

const TENANTS = 5;

describe('fleet migration: a tenant whose Clerk user is gone', () => {
  let postgres: EmbeddedPostgresHandle;
  let standIn: ClerkStandIn;
  let provider: DatabaseProvider;
  let env: Record<string, string>;
  let userIds: string[] = [];
  let gone: string;
  let clerk: ReturnType<typeof createClerkApi>;
  let v1: Migration[];
  const { runCli, startWorker, killAll } = cliProcesses(() => env);

  before(async () => {
    const temporal = await testTemporal();
    postgres = await startThrowawayPostgres('fleet-orphans');
    const secretKey = `sk_test_${randomToken(24)}`;
    standIn = await startClerkStandIn({ secretKey });
    const passwordSecret = randomToken(32);
    provider = createPostgresProvider({ adminUrl: postgres.url, passwordSecret, region: 'local', poolSize: 4 });
    const release = await fleetRelease('fleet-orphans');
    const { migrationsDir } = release;
    v1 = release.v1;
    env = fleetCliEnv(
      {
        databaseUrl: postgres.url,
        passwordSecret,
        clerk: { secretKey, apiUrl: standIn.url },
        taskQueue: `fleet-orphans-${randomToken(6)}`,
        temporal,
      },
      migrationsDir,
    );
    const workerStarting = startWorker();
    clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
    userIds = await mapLimit(Array.from({ length: TENANTS }), 5, () => createV1Tenant(clerk, provider, v1));
    // The user deleted in Clerk while the deprovisioning never ran: the database is left behind.
    gone = userIds[2]!;
    await clerk.users.deleteUser(gone);
    await workerStarting;
  });

  after(async () => {
    killAll();
    await provider?.close();
    await standIn?.stop();
    await postgres?.stop();
  });

  async function schemaVersions(userId: string): Promise<number[]> {
    const admin = new pg.Client({ ...parseIntoClientConfig(postgres.url), database: tenantDatabaseName(userId) });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ version: number }>(
        'SELECT version FROM per_user_db_schema_migrations ORDER BY version',
      );
      return rows.map((r) => r.version);
    } finally {
      await admin.end();
    }
  }

  test('the tenant is migrated and reported as an orphan, pointing at reconcile; no failure, exit code 0', async () => {
    // --max-failures 1: were the orphan a failure, it would count toward the auto-pause.
    const rollout = await runCli(['migrate', '--json', '--max-failures', '1', '--concurrency', '2']);
    assert.equal(rollout.code, 0, `${rollout.stdout}\n${rollout.stderr}`);
    const report = JSON.parse(rollout.stdout) as FleetReport;
    assert.equal(report.state, 'completed');
    assert.equal(report.total, TENANTS);
    assert.equal(report.done, TENANTS);
    assert.equal(report.migrated, TENANTS, 'the orphan’s database was migrated too');
    assert.equal(report.failed, 0);
    assert.deepEqual(report.failures, []);
    assert.equal(report.clerk.failed, 0);
    assert.equal(report.clerk.updated, TENANTS - 1);
    assert.equal(report.orphans, 1);
    assert.deepEqual(report.orphanUserIds, [gone]);

    assert.deepEqual(await schemaVersions(gone), [1, 2]);

    const status = await runCli(['migrate', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /5 tenants at v2 .*0 failed/s);
    assert.match(
      status.stdout,
      /1 orphaned databases \(Clerk user gone\): run `per-user-db reconcile` to review\/remove them/,
    );
    assert.ok(status.stdout.includes(gone), status.stdout);
  });

  test('migrate --user for it: exit 1 saying the database was migrated but Clerk has no such user, and what to do', async () => {
    const orphan = await createV1Tenant(clerk, provider, v1);
    await clerk.users.deleteUser(orphan);
    const result = await runCli(['migrate', '--user', orphan]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stderr,
      new RegExp(
        `^Clerk has no user ${orphan} \\(deleted\\): the tenant database was migrated, .*run \`per-user-db reconcile\``,
      ),
    );
    assert.deepEqual(await schemaVersions(orphan), [1, 2]);
  });
});
