import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError, loadConfig, type ProcessRole } from '../../src/config/index.js';
import { SAMPLE_SECRETS, isRealClerkApi } from '../../src/config/secrets.js';

const strongSigningSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const strong = {
  CLERK_SECRET_KEY: `sk_test_${randomBytes(24).toString('base64url')}`,
  CLERK_WEBHOOK_SIGNING_SECRET: strongSigningSecret(),
  DATABASE_URL: 'postgres://postgres:pw@localhost:5432/postgres',
  TENANT_PASSWORD_SECRET: randomBytes(32).toString('hex'),
};

/** The problems loadConfig reports for `env`, or [] when it starts. */
function problems(env: Record<string, string>, role: ProcessRole = 'webhook'): string[] {
  try {
    loadConfig(env, role);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

const names = (found: string[]) => found.map((p) => p.split(':')[0]).sort();

test('strong secrets start every role', () => {
  for (const role of ['worker', 'webhook', 'client', 'ops'] as const) assert.deepEqual(problems(strong, role), []);
});

test('Clerk signing secret: whsec_ and at least 24 decoded bytes; both names checked', () => {
  const weak = [
    'whsec_',
    'whsec_AA==',
    'password',
    `whsec_${randomBytes(23).toString('base64')}`,
    `whsk_${randomBytes(32).toString('base64')}`,
    `whsec_${randomBytes(24).toString('hex').replace(/[0-9]/g, '!')}`,
  ];
  for (const secret of weak) {
    for (const name of ['CLERK_WEBHOOK_SIGNING_SECRET', 'CLERK_WEBHOOK_SECRET']) {
      const env = { ...strong, CLERK_WEBHOOK_SIGNING_SECRET: strongSigningSecret(), [name]: secret };
      const found = problems(env);
      assert.deepEqual(names(found), [name], `${name}=${secret}`);
      assert.match(found[0]!, /whsec_ followed by base64 of at least 24 bytes/);
    }
  }
  assert.deepEqual(problems({ ...strong, CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${'A'.repeat(32)}` }), []);
});

test('Hookdeck secret: at least 24 characters, not one character repeated; HOOKDECK_REQUIRED needs it', () => {
  for (const secret of ['hd', 'x'.repeat(23), 'a'.repeat(40)]) {
    assert.deepEqual(names(problems({ ...strong, HOOKDECK_WEBHOOK_SECRET: secret })), ['HOOKDECK_WEBHOOK_SECRET']);
  }
  assert.deepEqual(problems({ ...strong, HOOKDECK_WEBHOOK_SECRET: randomBytes(12).toString('hex') }), []);
  const required = problems({ ...strong, HOOKDECK_REQUIRED: 'true' });
  assert.deepEqual(names(required), ['HOOKDECK_WEBHOOK_SECRET']);
  assert.match(required[0]!, /required \(HOOKDECK_REQUIRED=true/);
  const short = problems({ ...strong, HOOKDECK_REQUIRED: 'true', HOOKDECK_WEBHOOK_SECRET: 'short-key' });
  assert.deepEqual(names(short), ['HOOKDECK_WEBHOOK_SECRET']);
  assert.match(short[0]!, /at least 24 characters, not one character repeated/);
});

test('TENANT_PASSWORD_SECRET: at least 32 characters, not one character repeated', () => {
  for (const secret of ['hunter2', 'a'.repeat(32), 'xy'.repeat(15)]) {
    assert.deepEqual(names(problems({ ...strong, TENANT_PASSWORD_SECRET: secret }, 'worker')), [
      'TENANT_PASSWORD_SECRET',
    ]);
  }
  assert.deepEqual(problems({ ...strong, TENANT_PASSWORD_SECRET: 'ab'.repeat(16) }, 'worker'), []);
});

test('HOOKDECK_SVIX_MAX_AGE_SECONDS: at most 7 days', () => {
  assert.equal(
    loadConfig({ ...strong, HOOKDECK_SVIX_MAX_AGE_SECONDS: '604800' }, 'webhook').hookdeck.svixMaxAgeSeconds,
    604_800,
  );
  const found = problems({ ...strong, HOOKDECK_SVIX_MAX_AGE_SECONDS: '604801' });
  assert.deepEqual(names(found), ['HOOKDECK_SVIX_MAX_AGE_SECONDS']);
  assert.match(found[0]!, /at most 604800 \(7 days/);
});

test('the docker-compose sample secrets are refused with the real Clerk API, allowed with a stand-in', () => {
  const samples = { ...strong, ...SAMPLE_SECRETS };
  for (const apiUrl of [undefined, 'https://api.clerk.com', 'https://clerk.internal.example.com']) {
    const env = apiUrl === undefined ? samples : { ...samples, CLERK_API_URL: apiUrl };
    assert.deepEqual(
      names(problems(env, 'worker')),
      ['CLERK_SECRET_KEY', 'CLERK_WEBHOOK_SECRET', 'CLERK_WEBHOOK_SIGNING_SECRET', 'TENANT_PASSWORD_SECRET'],
      String(apiUrl),
    );
  }
  for (const apiUrl of ['http://clerk-stand-in:3100', 'http://localhost:3100', 'https://127.0.0.1:3100']) {
    assert.deepEqual(problems({ ...samples, CLERK_API_URL: apiUrl }, 'worker'), [], apiUrl);
  }
  assert.equal(isRealClerkApi('https://localhost:3100'), false);
});

test('every bad secret is named at once, and no value is ever echoed', () => {
  const env = {
    CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_AA==',
    HOOKDECK_WEBHOOK_SECRET: 'hookdeck-short',
    TENANT_PASSWORD_SECRET: 'hunter2hunter2',
    HOOKDECK_SVIX_MAX_AGE_SECONDS: '99999999',
    CLERK_SECRET_KEY: SAMPLE_SECRETS.CLERK_SECRET_KEY!,
  };
  for (const role of ['worker', 'webhook', 'client', 'ops'] as const) {
    const found = problems(env, role);
    for (const name of [
      'CLERK_SECRET_KEY',
      'CLERK_WEBHOOK_SIGNING_SECRET',
      'HOOKDECK_SVIX_MAX_AGE_SECONDS',
      'HOOKDECK_WEBHOOK_SECRET',
      'TENANT_PASSWORD_SECRET',
    ]) {
      assert.ok(names(found).includes(name), `${role}: ${name}`);
    }
    const text = found.join('\n');
    for (const secret of ['AA==', 'hookdeck-short', 'hunter2', SAMPLE_SECRETS.CLERK_SECRET_KEY!]) {
      assert.ok(!text.includes(secret), `${role} echoes ${secret}`);
    }
  }
});
