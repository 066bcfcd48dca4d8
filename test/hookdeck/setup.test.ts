import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { HookdeckClient } from '@hookdeck/sdk';
import { startHookdeckStandIn, type HookdeckStandIn } from '../../dev/hookdeck-stand-in/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const apiKey = `hk_${randomBytes(12).toString('hex')}`;
const clerkSecret = `whsec_${randomBytes(24).toString('base64')}`;

/** The real command (`per-user-db hookdeck setup`) in its own process, in an empty folder (no .env), with only the variables given. */
async function runSetup(env: Record<string, string>, args: string[]) {
  const cwd = await mkdtemp(join(tmpdir(), 'hookdeck-setup-'));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, 'hookdeck', 'setup', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  await rm(cwd, { recursive: true, force: true });
  for (const secret of [apiKey, clerkSecret]) {
    assert.ok(!stdout.includes(secret) && !stderr.includes(secret), 'no secret in the output');
  }
  return { code, stdout, stderr };
}

describe('per-user-db hookdeck setup (npm run hookdeck:setup) against the Hookdeck stand-in', () => {
  let standIn: HookdeckStandIn;
  let env: Record<string, string>;
  let sdk: HookdeckClient;
  before(async () => {
    standIn = await startHookdeckStandIn({ apiKey });
    env = { HOOKDECK_API_KEY: apiKey, HOOKDECK_API_URL: standIn.url, CLERK_WEBHOOK_SIGNING_SECRET: clerkSecret };
    sdk = new HookdeckClient({ token: apiKey, environment: standIn.url });
  });
  after(() => standIn.stop());

  test('sends the Hookdeck SDK’s PUT /connections with Svix verification, event filter and retries', async () => {
    const seen = standIn.requests.length;
    const run = await runSetup(env, ['--cli-path', '/webhooks/clerk']);
    assert.equal(run.code, 0, run.stderr);
    const sent = standIn.requests.slice(seen);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.method, 'PUT');
    assert.equal(sent[0]!.path, '/connections');
    assert.equal(sent[0]!.headers['x-fern-sdk-name'], '@hookdeck/sdk');
    assert.deepEqual(sent[0]!.body, {
      name: 'clerk_to_cli-clerk',
      source: { name: 'clerk', verification: { type: 'svix', configs: { webhook_secret_key: clerkSecret } } },
      destination: { name: 'cli-clerk', cli_path: '/webhooks/clerk' },
      rules: [
        { type: 'filter', body: { type: { $in: ['user.created', 'user.deleted'] } } },
        { type: 'retry', strategy: 'exponential', count: 5, interval: 60000 },
      ],
    });

    const listed = await sdk.connection.list({ name: 'clerk_to_cli-clerk' });
    const connection = listed.models?.[0];
    assert.ok(connection);
    assert.match(run.stdout, new RegExp(`\\(${connection.id}\\)`));
    assert.ok(run.stdout.includes(`source URL:   ${connection.source.url}`), run.stdout);
    assert.match(run.stdout, /hookdeck listen 3000 clerk --path \/webhooks\/clerk/);
  });

  test('running it again changes nothing: same connection, same source URL, still one connection', async () => {
    const first = await runSetup(env, ['--cli-path', '/webhooks/clerk']);
    const second = await runSetup(env, ['--cli-path', '/webhooks/clerk']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const line = (out: string, label: string) => out.split('\n').find((l) => l.includes(label));
    assert.equal(line(second.stdout, 'connection ready'), line(first.stdout, 'connection ready'));
    assert.equal(line(second.stdout, 'source URL'), line(first.stdout, 'source URL'));
    const listed = await sdk.connection.list({ name: 'clerk_to_cli-clerk' });
    assert.equal(listed.count, 1);
  });

  test('--url gives a URL destination on the same Clerk source', async () => {
    const run = await runSetup(env, ['--url', 'https://app.example.com/webhooks/clerk']);
    assert.equal(run.code, 0, run.stderr);
    const body = standIn.requests.at(-1)!.body as { name: string; destination: unknown };
    assert.equal(body.name, 'clerk_to_per-user-db');
    assert.deepEqual(body.destination, { name: 'per-user-db', url: 'https://app.example.com/webhooks/clerk' });
    const all = await sdk.connection.list();
    const sources = new Set(all.models?.map((c) => c.source.id));
    assert.equal(sources.size, 1, 'both connections hang off one clerk source');
  });

  test('missing settings: a clear error for each, exit code 2, nothing sent', async () => {
    const seen = standIn.requests.length;
    const run = await runSetup({ HOOKDECK_API_URL: standIn.url }, []);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /HOOKDECK_API_KEY: required/);
    assert.match(run.stderr, /CLERK_WEBHOOK_SIGNING_SECRET: required/);
    assert.match(run.stderr, /destination: give exactly one of --url .* or --cli-path/);
    assert.equal(standIn.requests.length, seen);
  });

  test('invalid settings are named too: both destinations, a non-whsec secret, a bad path', async () => {
    const run = await runSetup({ ...env, CLERK_WEBHOOK_SIGNING_SECRET: 'sk_test_wrong' }, [
      '--url',
      'https://app.example.com/webhooks/clerk',
      '--cli-path',
      '/webhooks/clerk',
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /CLERK_WEBHOOK_SIGNING_SECRET: must be the Clerk endpoint signing secret/);
    assert.match(run.stderr, /destination: give exactly one/);
    const badPath = await runSetup(env, ['--cli-path', 'webhooks/clerk']);
    assert.equal(badPath.code, 2);
    assert.match(badPath.stderr, /--cli-path: must be a path starting with \//);
  });

  test('a wrong API key: Hookdeck’s 401 is reported plainly, exit code 1', async () => {
    const run = await runSetup({ ...env, HOOKDECK_API_KEY: 'hk_wrong' }, ['--cli-path', '/webhooks/clerk']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Hookdeck refused HOOKDECK_API_KEY \(401\)/);
  });
});
