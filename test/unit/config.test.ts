import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const worker = {
  CLERK_SECRET_KEY: 'sk_test_x',
  DATABASE_URL: 'postgres://postgres:pw@localhost:5432/postgres',
  TENANT_PASSWORD_SECRET: 'a'.repeat(32),
};

function problems(env: Record<string, string>, role: 'worker' | 'webhook'): string[] {
  try {
    loadConfig(env, role);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('defaults fill everything optional', () => {
  const config = loadConfig(worker, 'worker');
  assert.equal(config.port, 3000);
  assert.equal(config.provider, 'postgres');
  assert.equal(config.temporal.taskQueue, 'per-user-db');
  assert.equal(config.temporal.clerkTaskQueue, 'per-user-db-clerk');
  assert.equal(config.webhookMaxBodyBytes, 256 * 1024);
  assert.match(config.migrationsDir, /migrations$/);
});

test('every missing variable is named at once, for the role that needs it', () => {
  assert.deepEqual(
    problems({}, 'worker').map((p) => p.split(':')[0]),
    ['CLERK_SECRET_KEY', 'DATABASE_URL', 'TENANT_PASSWORD_SECRET'],
  );
  assert.deepEqual(
    problems({}, 'webhook').map((p) => p.split(':')[0]),
    ['CLERK_WEBHOOK_SIGNING_SECRET'],
  );
  assert.equal(loadConfig({ CLERK_WEBHOOK_SECRET: 'whsec_x' }, 'webhook').clerk.webhookSigningSecret, 'whsec_x');
});

test('invalid values are refused with the variable and the rule, never the value', () => {
  const found = problems(
    { ...worker, PORT: 'eighty', DB_PROVIDER: 'mysql', TENANT_PASSWORD_SECRET: 'short', DATABASE_URL: 'not a url' },
    'worker',
  );
  assert.deepEqual(found.map((p) => p.split(':')[0]).sort(), [
    'DATABASE_URL',
    'DB_PROVIDER',
    'PORT',
    'TENANT_PASSWORD_SECRET',
  ]);
  assert.ok(!found.join('\n').includes('short'));
});

test('each provider asks for its own settings', () => {
  const xata = problems({ CLERK_SECRET_KEY: 'sk', DB_PROVIDER: 'xata' }, 'worker');
  assert.deepEqual(
    xata.map((p) => p.split(':')[0]),
    ['XATA_API_KEY', 'XATA_ORGANIZATION_ID', 'XATA_PROJECT_ID'],
  );
  const lite = problems({ CLERK_SECRET_KEY: 'sk', DB_PROVIDER: 'xata-lite', XATA_API_KEY: 'k' }, 'worker');
  assert.deepEqual(
    lite.map((p) => p.split(':')[0]),
    ['XATA_WORKSPACE_ID'],
  );
  const slug = loadConfig(
    { CLERK_SECRET_KEY: 'sk', DB_PROVIDER: 'xata-lite', XATA_API_KEY: 'k', XATA_WORKSPACE_SLUG: 'ws' },
    'worker',
  );
  assert.equal(slug.xata.workspaceId, 'ws');
});

test('TEMPORAL_* variables pass to envconfig untouched', () => {
  const config = loadConfig({ ...worker, TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' }, 'worker');
  assert.deepEqual(config.temporal.env, { TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' });
});
