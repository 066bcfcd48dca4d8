import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const standIn = {
  CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=',
  CLERK_SECRET_KEY: 'sk_test_local',
  CLERK_API_URL: 'http://127.0.0.1:3100',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, 'webhook');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('demo accounts are off unless DEMO_ACCOUNTS=true, even against the stand-in', () => {
  assert.equal(loadConfig(standIn, 'webhook').demo.accounts, undefined);
  const on = loadConfig({ ...standIn, DEMO_ACCOUNTS: 'true', PUBLIC_URL: 'http://demo.local:3000' }, 'webhook');
  assert.deepEqual(on.demo.accounts?.allowedHosts, ['localhost', '127.0.0.1', '[::1]', 'demo.local']);
  assert.equal(on.demo.accounts?.database, undefined, 'no notes without the provider settings');
  const withDatabase = loadConfig(
    {
      ...standIn,
      DEMO_ACCOUNTS: 'true',
      DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:5432/postgres',
      TENANT_PASSWORD_SECRET: 'unit-test-tenant-password-secret-0123456789',
    },
    'webhook',
  );
  assert.equal(withDatabase.demo.accounts?.database?.kind, 'postgres');
  for (const apiUrl of ['http://localhost:3100', 'http://[::1]:3100', 'http://clerk-stand-in:3100']) {
    assert.ok(loadConfig({ ...standIn, DEMO_ACCOUNTS: 'true', CLERK_API_URL: apiUrl }, 'webhook').demo.accounts);
  }
});

test('DEMO_ACCOUNTS=true is refused at start-up with a live key, a publishable key or a non-local Clerk API', () => {
  const on = { ...standIn, DEMO_ACCOUNTS: 'true' };
  assert.match(problems({ ...on, CLERK_SECRET_KEY: 'sk_live_abc' }).join('\n'), /^CLERK_SECRET_KEY: is a live key/m);
  assert.match(problems({ ...on, CLERK_PUBLISHABLE_KEY: 'pk_test_abc' }).join('\n'), /^CLERK_PUBLISHABLE_KEY: /m);
  for (const apiUrl of ['https://api.clerk.com', 'https://clerk.example.com', 'http://10.0.0.5:3100']) {
    assert.match(problems({ ...on, CLERK_API_URL: apiUrl }).join('\n'), /^CLERK_API_URL: must be the local/m, apiUrl);
  }
  const { CLERK_API_URL: _unset, ...noApiUrl } = on;
  assert.match(problems(noApiUrl).join('\n'), /^CLERK_API_URL: /m, 'unset means api.clerk.com');
  assert.match(problems({ ...on, DEMO_ACCOUNTS: 'yes' }).join('\n'), /^DEMO_ACCOUNTS: must be true or false/m);
});

test('session verification: CLERK_JWT_KEY (one line with \\n or PEM), CLERK_AUTHORIZED_PARTIES as origins', () => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString()
    .trim();
  const oneLine = pem.replaceAll('\n', '\\n');
  const config = loadConfig(
    {
      CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=',
      CLERK_JWT_KEY: oneLine,
      CLERK_AUTHORIZED_PARTIES: 'https://a.example, http://localhost:3000',
    },
    'webhook',
  );
  assert.deepEqual(config.session, {
    jwtKey: pem,
    secretKey: undefined,
    apiUrl: undefined,
    authorizedParties: ['https://a.example', 'http://localhost:3000'],
  });
  assert.equal(
    loadConfig({ CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=' }, 'webhook')
      .session,
    undefined,
  );
  assert.deepEqual(
    problems({
      CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=',
      CLERK_JWT_KEY: 'sk_test_not_a_key',
    }).map((p) => p.split(':')[0]),
    ['CLERK_JWT_KEY'],
  );
  assert.match(
    problems({
      CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=',
      CLERK_AUTHORIZED_PARTIES: 'https://a.example/path',
    })[0]!,
    /^CLERK_AUTHORIZED_PARTIES: must be comma-separated origins/,
  );
  assert.equal(
    loadConfig({ CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=' }, 'webhook')
      .statusApi.ratePerMinute,
    120,
  );
});
