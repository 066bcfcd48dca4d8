import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

// An empty folder for DATA_DIR: no local stack's settings. Nothing is written to it.
const emptyDataDir = mkdtempSync(join(tmpdir(), 'weak-secrets-'));
after(() => rmSync(emptyDataDir, { recursive: true, force: true }));

/** The real CLI entry, as a deployment starts it; answers how it exited and what it printed. */
function startCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    // Only what the test sets: no .env, no local stack's settings (DATA_DIR points at an empty folder).
    env: { PATH: process.env.PATH ?? '', DATA_DIR: emptyDataDir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
}

const strong = {
  CLERK_SECRET_KEY: `sk_test_${randomBytes(24).toString('base64url')}`,
  CLERK_API_URL: 'http://127.0.0.1:9',
  CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  DATABASE_URL: 'postgres://postgres@127.0.0.1:9/postgres',
  TENANT_PASSWORD_SECRET: randomBytes(32).toString('hex'),
  TEMPORAL_ADDRESS: '127.0.0.1:9',
};

/** Each role's process, and a weak secret it must refuse to start with. */
const cases = [
  { role: 'worker', args: ['worker'], name: 'TENANT_PASSWORD_SECRET', weak: 'hunter2hunter2' },
  { role: 'webhook', args: ['webhook'], name: 'CLERK_WEBHOOK_SIGNING_SECRET', weak: 'whsec_AA==' },
  { role: 'webhook (Hookdeck)', args: ['webhook'], name: 'HOOKDECK_WEBHOOK_SECRET', weak: 'hookdeck-tiny' },
  { role: 'client', args: ['migrate', 'status'], name: 'TENANT_PASSWORD_SECRET', weak: 'a'.repeat(40) },
  { role: 'ops', args: ['list'], name: 'CLERK_WEBHOOK_SECRET', weak: 'whsec_c2hvcnQ=' },
];

describe('a weak secret stops every process at start-up, naming the variable and never the value', () => {
  for (const { role, args, name, weak } of cases) {
    test(`${role}: ${name}`, async () => {
      const { code, stderr } = await startCli(args, { ...strong, [name]: weak });
      assert.equal(code, 2, stderr);
      assert.match(stderr, /^Invalid configuration:/);
      assert.match(stderr, new RegExp(`- ${name}: must be`));
      assert.ok(!stderr.includes(weak), stderr);
    });
  }

  test('worker: the published sample secrets stop it when the Clerk API is the real one', async () => {
    const { code, stderr } = await startCli(['worker'], {
      ...strong,
      CLERK_API_URL: 'https://api.clerk.com',
      TENANT_PASSWORD_SECRET: 'local-only-tenant-password-secret-0000000000',
    });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /- TENANT_PASSWORD_SECRET: is the published sample from docker-compose\.yml/);
    assert.ok(!stderr.includes('local-only-tenant-password-secret'));
  });

  test('webhook: HOOKDECK_REQUIRED=true without a Hookdeck secret stops it', async () => {
    const { code, stderr } = await startCli(['webhook'], { ...strong, HOOKDECK_REQUIRED: 'true' });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /- HOOKDECK_WEBHOOK_SECRET: required \(HOOKDECK_REQUIRED=true/);
  });
});
