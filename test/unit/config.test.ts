import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, type ProcessRole } from '../../src/config/index.js';

const worker = {
  CLERK_SECRET_KEY: 'sk_test_x',
  DATABASE_URL: 'postgres://postgres:pw@localhost:5432/postgres',
  TENANT_PASSWORD_SECRET: 'tenant-password-secret-for-unit-tests',
};
const SIGNING_SECRET = `whsec_${Buffer.from('unit-test-signing-secret-0123456789').toString('base64')}`;
const webhook = { CLERK_WEBHOOK_SIGNING_SECRET: SIGNING_SECRET };

function problems(env: Record<string, string>, role: ProcessRole): string[] {
  try {
    loadConfig(env, role);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

const HOOKDECK_SECRET = 'hookdeck-signing-secret-for-tests';

const names = (found: string[]) => found.map((p) => p.split(':')[0]);

test('defaults fill everything optional', () => {
  const config = loadConfig(worker, 'worker');
  assert.equal(config.provider.kind, 'postgres');
  assert.equal(config.temporal.taskQueue, 'per-user-db');
  assert.equal(config.temporal.clerkTaskQueue, 'per-user-db-clerk');
  assert.equal(config.temporal.namespace, 'default');
  assert.equal(config.temporal.uiUrl, 'http://localhost:8233');
  assert.match(config.migrationsDir, /migrations$/);
  const receiver = loadConfig(webhook, 'webhook');
  assert.equal(receiver.port, 3000);
  assert.equal(receiver.publicUrl, 'http://localhost:3000');
  assert.equal(receiver.webhookMaxBodyBytes, 256 * 1024);
  assert.equal(receiver.deletion.gracePeriodMs, 0);
});

test('every missing variable is named at once, for the role that needs it', () => {
  assert.deepEqual(names(problems({}, 'worker')), ['CLERK_SECRET_KEY', 'DATABASE_URL', 'TENANT_PASSWORD_SECRET']);
  assert.deepEqual(names(problems({}, 'ops')), ['CLERK_SECRET_KEY', 'DATABASE_URL', 'TENANT_PASSWORD_SECRET']);
  assert.deepEqual(names(problems({}, 'webhook')), ['CLERK_WEBHOOK_SIGNING_SECRET']);
  assert.doesNotThrow(() => loadConfig({}, 'client'));
  assert.equal(
    loadConfig({ CLERK_WEBHOOK_SECRET: SIGNING_SECRET }, 'webhook').clerk.webhookSigningSecret,
    SIGNING_SECRET,
  );
});

test('invalid values are refused with the variable and the rule, never the value', () => {
  const found = problems(
    { ...worker, PORT: 'eighty', DB_PROVIDER: 'mysql', TENANT_PASSWORD_SECRET: 'short', DATABASE_URL: 'not a url' },
    'worker',
  );
  assert.deepEqual(names(found).sort(), ['DATABASE_URL', 'DB_PROVIDER', 'PORT', 'TENANT_PASSWORD_SECRET']);
  assert.ok(!found.join('\n').includes('short'));
});

test('values are checked in every role, even those that do not use them', () => {
  const bad = { DATABASE_URL: 'mysql://root:hunter2@db/x', XATA_ORGANIZATION_ID: 'org id!', XATA_REGION: 'eu west' };
  for (const role of ['worker', 'webhook', 'client', 'ops'] as const) {
    const found = problems({ ...worker, ...webhook, ...bad }, role);
    assert.deepEqual(names(found).sort(), ['DATABASE_URL', 'XATA_ORGANIZATION_ID', 'XATA_REGION'], role);
    assert.ok(!found.join('\n').includes('hunter2'));
  }
});

test('worker: Clerk API, provider, regions by country and reconciliation', () => {
  const config = loadConfig(
    { ...worker, CLERK_API_URL: 'http://localhost:3100', REGION_BY_COUNTRY: 'DE:eu', RECONCILE_INTERVAL: '15m' },
    'worker',
  );
  assert.deepEqual(config.clerk, { secretKey: 'sk_test_x', apiUrl: 'http://localhost:3100' });
  assert.deepEqual(config.regionByCountry, { DE: 'eu' });
  assert.deepEqual(config.reconcile, { intervalMs: 900_000, removeOrphans: false });
  assert.equal(loadConfig({ ...worker, RECONCILE_INTERVAL: 'off' }, 'worker').reconcile.intervalMs, undefined);
  assert.ok(!('port' in config) && !('hookdeck' in config));
});

test('webhook: signing secret, Hookdeck, and what the demo shows of the provider without its secrets', () => {
  const config = loadConfig(
    { ...webhook, ...worker, PORT: '0', HOOKDECK_WEBHOOK_SECRET: HOOKDECK_SECRET, POSTGRES_REGION: 'eu' },
    'webhook',
  );
  assert.equal(config.port, 0);
  assert.equal(config.clerk.webhookSigningSecret, SIGNING_SECRET);
  assert.equal(config.clerk.secretKey, 'sk_test_x');
  assert.deepEqual(config.hookdeck, {
    webhookSecret: HOOKDECK_SECRET,
    required: false,
    acceptWithoutSvix: false,
    svixMaxAgeSeconds: 86_400,
  });
  assert.deepEqual(config.demo, { provider: 'postgres', regions: ['eu'] });
  assert.ok(!JSON.stringify(config).includes(worker.TENANT_PASSWORD_SECRET));
  assert.ok(!JSON.stringify(config).includes('pw@'));
  const xata = loadConfig({ ...webhook, DB_PROVIDER: 'xata', XATA_REGION: 'eu-central-1' }, 'webhook');
  assert.deepEqual(xata.demo, { provider: 'xata', regions: ['eu-central-1'] });
});

test('client (migrate, ops status/provision/…): Temporal and the tenant schema only', () => {
  const config = loadConfig({ MIGRATIONS_DIR: '/srv/schema', TASK_QUEUE: 'q' }, 'client');
  assert.deepEqual(Object.keys(config).sort(), ['logLevel', 'migrationsDir', 'temporal']);
  assert.equal(config.migrationsDir, '/srv/schema');
  assert.equal(config.temporal.taskQueue, 'q');
  // With a Clerk key, `ops status` also reads Clerk's record.
  const withClerk = loadConfig({ CLERK_SECRET_KEY: 'sk_test_x' }, 'client');
  assert.deepEqual(withClerk.clerk, { secretKey: 'sk_test_x', apiUrl: undefined });
});

test('ops (ops users): Clerk API and the provider', () => {
  const config = loadConfig(worker, 'ops');
  assert.deepEqual(Object.keys(config).sort(), ['clerk', 'logLevel', 'provider', 'temporal']);
  assert.equal(config.clerk.secretKey, 'sk_test_x');
  assert.equal(config.provider.kind, 'postgres');
});

test('each provider asks for its own settings', () => {
  assert.deepEqual(names(problems({ CLERK_SECRET_KEY: 'sk', DB_PROVIDER: 'xata' }, 'worker')), [
    'XATA_API_KEY',
    'XATA_ORGANIZATION_ID',
    'XATA_PROJECT_ID',
  ]);
  const lite = problems({ CLERK_SECRET_KEY: 'sk', DB_PROVIDER: 'xata-lite', XATA_API_KEY: 'k' }, 'worker');
  assert.deepEqual(names(lite), ['XATA_WORKSPACE_ID']);
  const slug = loadConfig(
    { CLERK_SECRET_KEY: 'sk', DB_PROVIDER: 'xata-lite', XATA_API_KEY: 'k', XATA_WORKSPACE_SLUG: 'ws' },
    'worker',
  );
  assert.equal(slug.provider.kind === 'xata-lite' && slug.provider.workspaceId, 'ws');
});

test('a provider union member holds exactly its own settings, required ones set', () => {
  const postgres = loadConfig({ ...worker, POSTGRES_REGION: 'eu', XATA_API_KEY: 'unused' }, 'worker').provider;
  assert.deepEqual(postgres, {
    kind: 'postgres',
    passwordSecret: worker.TENANT_PASSWORD_SECRET,
    previousPasswordSecret: undefined,
    servers: [{ name: 'eu', adminUrl: worker.DATABASE_URL }],
    keepPublicConnect: false,
    tenantLimits: { connectionLimit: 10, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000 },
    // One connection per activity and local-activity slot (16 each) and one to cancel with; bounded waits.
    pool: { size: 33, connectMs: 10_000, statementMs: 60_000, lockMs: 30_000 },
  });
  const xata = loadConfig(
    {
      CLERK_SECRET_KEY: 'sk',
      DB_PROVIDER: 'xata',
      XATA_API_KEY: 'xau_k',
      XATA_ORGANIZATION_ID: 'org_1',
      XATA_PROJECT_ID: 'prj_1',
      XATA_REGION: 'eu-central-1',
      XATA_INSTANCE_TYPE: 'xata.micro',
      XATA_IMAGE: 'postgres:17',
      DATABASE_URL: worker.DATABASE_URL,
    },
    'worker',
  ).provider;
  assert.deepEqual(xata, {
    kind: 'xata',
    apiKey: 'xau_k',
    apiUrl: undefined,
    organizationId: 'org_1',
    projectId: 'prj_1',
    parentBranch: undefined,
    region: 'eu-central-1',
    tls: true,
    branchConfiguration: { instanceType: 'xata.micro', image: 'postgres:17' },
  });
  const lite = loadConfig(
    {
      CLERK_SECRET_KEY: 'sk',
      DB_PROVIDER: 'xata-lite',
      XATA_API_KEY: 'k',
      XATA_WORKSPACE_ID: 'ws-1',
      XATA_TLS: 'false',
      XATA_LITE_HOST: 'http://127.0.0.1:9000, http://127.0.0.1:9000/{workspaceId}',
      XATA_LITE_POSTGRES_HOST: '127.0.0.1',
    },
    'worker',
  ).provider;
  assert.deepEqual(lite, {
    kind: 'xata-lite',
    apiKey: 'k',
    workspaceId: 'ws-1',
    region: 'us-east-1',
    host: { main: 'http://127.0.0.1:9000', workspaces: 'http://127.0.0.1:9000/{workspaceId}' },
    postgres: { host: '127.0.0.1', port: 5432, user: undefined, database: undefined, ssl: false },
  });
  assert.deepEqual(names(problems({ ...worker, XATA_LITE_HOST: 'only-one' }, 'worker')), ['XATA_LITE_HOST']);
});

test('postgres tenant settings: the previous secret, limits and the PUBLIC CONNECT switch', () => {
  const provider = loadConfig(
    {
      ...worker,
      TENANT_PASSWORD_SECRET_PREVIOUS: 'unit-test-previous-tenant-secret-0123456789',
      TENANT_CONNECTION_LIMIT: '3',
      TENANT_STATEMENT_TIMEOUT: '5m',
      TENANT_IDLE_IN_TRANSACTION_TIMEOUT: '90s',
      POSTGRES_KEEP_PUBLIC_CONNECT: 'true',
    },
    'worker',
  ).provider;
  assert.ok(provider.kind === 'postgres');
  assert.equal(provider.previousPasswordSecret, 'unit-test-previous-tenant-secret-0123456789');
  assert.equal(provider.keepPublicConnect, true);
  assert.deepEqual(provider.tenantLimits, {
    connectionLimit: 3,
    statementTimeoutMs: 300_000,
    idleInTransactionTimeoutMs: 90_000,
  });
  const refused = problems(
    {
      ...worker,
      TENANT_PASSWORD_SECRET_PREVIOUS: 'short',
      TENANT_CONNECTION_LIMIT: '0',
      TENANT_STATEMENT_TIMEOUT: '30',
      TENANT_IDLE_IN_TRANSACTION_TIMEOUT: 'soon',
      POSTGRES_KEEP_PUBLIC_CONNECT: 'yes',
    },
    'worker',
  );
  assert.deepEqual(names(refused).sort(), [
    'POSTGRES_KEEP_PUBLIC_CONNECT',
    'TENANT_CONNECTION_LIMIT',
    'TENANT_IDLE_IN_TRANSACTION_TIMEOUT',
    'TENANT_PASSWORD_SECRET_PREVIOUS',
    'TENANT_STATEMENT_TIMEOUT',
  ]);
  assert.ok(refused.every((p) => !p.includes('short') && !p.includes('soon')));
});

test('TEMPORAL_* variables pass to envconfig untouched', () => {
  const config = loadConfig({ ...worker, TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' }, 'worker');
  assert.deepEqual(config.temporal.env, { TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' });
});

test("the Clerk rates follow the key's instance (half its limit, a fifth of that for bulk) and add up to CLERK_RATE_LIMIT_PER_SECOND", () => {
  const rates = (env: Record<string, string>) => {
    const { clerkRatePerSecond, clerkBulkRatePerSecond, clerkBulkTaskQueue } = loadConfig(
      { ...worker, ...env },
      'worker',
    ).temporal;
    return { clerkRatePerSecond, clerkBulkRatePerSecond, clerkBulkTaskQueue };
  };
  assert.deepEqual(rates({ CLERK_SECRET_KEY: 'sk_live_x' }), {
    clerkRatePerSecond: 40,
    clerkBulkRatePerSecond: 10,
    clerkBulkTaskQueue: 'per-user-db-clerk-bulk',
  });
  assert.deepEqual(rates({ CLERK_SECRET_KEY: 'sk_test_x', TASK_QUEUE: 'q' }), {
    clerkRatePerSecond: 4,
    clerkBulkRatePerSecond: 1,
    clerkBulkTaskQueue: 'q-clerk-bulk',
  });
  assert.deepEqual(rates({ CLERK_RATE_LIMIT_PER_SECOND: '7.5', CLERK_BULK_RATE_LIMIT_PER_SECOND: '0.5' }), {
    clerkRatePerSecond: 7,
    clerkBulkRatePerSecond: 0.5,
    clerkBulkTaskQueue: 'per-user-db-clerk-bulk',
  });
  assert.deepEqual(rates({ CLERK_SECRET_KEY: 'sk_test_x', CLERK_RATE_LIMIT_PER_SECOND: '5' }), {
    clerkRatePerSecond: 4,
    clerkBulkRatePerSecond: 1,
    clerkBulkTaskQueue: 'per-user-db-clerk-bulk',
  });
  assert.deepEqual(names(problems({ ...worker, CLERK_BULK_RATE_LIMIT_PER_SECOND: '0' }, 'worker')), [
    'CLERK_BULK_RATE_LIMIT_PER_SECOND',
  ]);
  assert.deepEqual(
    names(problems({ ...worker, CLERK_RATE_LIMIT_PER_SECOND: '2', CLERK_BULK_RATE_LIMIT_PER_SECOND: '2' }, 'worker')),
    ['CLERK_BULK_RATE_LIMIT_PER_SECOND'],
  );
});
