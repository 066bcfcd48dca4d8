import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { createClerkApi } from '../../src/clerk/client.js';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { loadConfig } from '../../src/config/index.js';
import { demoMode, demoRouter, frontendApiHost } from '../../src/webhook/demo.js';

const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
let standIn: ClerkStandIn;
let base: string;
const closers: Array<() => Promise<void>> = [];

/** The demo router on a real HTTP server, talking to a real Clerk stand-in through @clerk/backend. */
async function serve(env: Record<string, string>): Promise<string> {
  const config = loadConfig(
    { CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_ZGVtby1zaWduaW5nLXNlY3JldC0yNC1ieXRlcyE=', ...env },
    'webhook',
  );
  const app = express().use(demoRouter({ config, clerk: createClerkApi({ secretKey, apiUrl: standIn.url }) }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolveListen) => server.once('listening', resolveListen));
  closers.push(() => new Promise<void>((resolveClose) => server.close(() => resolveClose())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What the stand-in's webhooks carried, by user id (the endpoint answers 204 to all). */
const received = new Map<string, { event_attributes?: { http_request?: { user_agent?: string } } }>();

before(async () => {
  const sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.set(event.data.id, event);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolveListen) => sink.listen(0, '127.0.0.1', resolveListen));
  closers.push(() => new Promise<void>((resolveClose) => sink.close(() => resolveClose())));
  standIn = await startClerkStandIn({
    secretKey,
    webhooks: [
      {
        url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`,
        signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
      },
    ],
  });
  base = await serve({
    CLERK_SECRET_KEY: secretKey,
    CLERK_API_URL: standIn.url,
    POSTGRES_REGION: 'local-1',
    DEMO_ACCOUNTS: 'true',
  });
});
after(async () => {
  await standIn.stop();
  for (const close of closers) await close();
});

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

test('the page learns it runs against the stand-in, and which regions it may offer', async () => {
  const response = await fetch(`${base}/api/demo/config`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    mode: 'stand-in',
    provider: 'postgres',
    regions: ['local-1'],
    temporalUiUrl: 'http://localhost:8233',
    notes: false,
    clerk: null,
  });
});

test('without DEMO_ACCOUNTS=true the account routes stay shut, even against the stand-in', async () => {
  const closed = await serve({ CLERK_SECRET_KEY: secretKey, CLERK_API_URL: standIn.url });
  const config = (await (await fetch(`${closed}/api/demo/config`)).json()) as { mode: string };
  assert.equal(config.mode, 'unavailable');
  for (const [method, path] of [
    ['POST', '/api/demo/sign-up'],
    ['POST', '/api/demo/sessions'],
    ['GET', '/api/demo/users'],
    ['DELETE', '/api/demo/users/user_abc'],
  ] as const) {
    const response = await fetch(`${closed}${path}`, { method });
    assert.equal(response.status, 403, `${method} ${path}`);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'not_available');
  }
});

test('sign-up creates the Clerk user with the region in unsafe metadata and the browser as its user agent', async () => {
  const email = `ada-${randomBytes(4).toString('hex')}@example.com`;
  const response = await postJson(
    `${base}/api/demo/sign-up`,
    { email, name: 'Ada King Lovelace', region: 'local-1' },
    { 'user-agent': 'DemoBrowser/1.0 (test)' },
  );
  assert.equal(response.status, 201);
  const { userId } = (await response.json()) as { userId: string };
  assert.match(userId, /^user_/);

  const user = await createClerkApi({ secretKey, apiUrl: standIn.url }).users.getUser(userId);
  assert.equal(user.primaryEmailAddress?.emailAddress, email);
  assert.equal(user.firstName, 'Ada');
  assert.equal(user.lastName, 'King Lovelace');
  assert.deepEqual(user.unsafeMetadata, { region: 'local-1' });

  const delivery = await standIn.waitForDelivery({ eventType: 'user.created', userId }, 10_000);
  assert.equal(delivery.state, 'succeeded');
  assert.equal(received.get(userId)?.event_attributes?.http_request?.user_agent, 'DemoBrowser/1.0 (test)');
});

test('sign-up refuses bad input and says which field is wrong', async () => {
  const response = await postJson(`${base}/api/demo/sign-up`, { email: 'not-an-email', name: '', extra: 1 });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'invalid_request');
  assert.match(body.error.message, /email: must be a valid email address/);
  assert.match(body.error.message, /name: is required/);
  assert.match(body.error.message, /extra/);

  const region = await postJson(`${base}/api/demo/sign-up`, { email: 'a@example.com', name: 'A', region: 'EU!' });
  assert.equal(region.status, 400);
  assert.match(((await region.json()) as { error: { message: string } }).error.message, /^region: /);
});

test('the admin list shows recent users with their recorded database, and delete removes the user', async () => {
  const email = `grace-${randomBytes(4).toString('hex')}@example.com`;
  const created = await postJson(`${base}/api/demo/sign-up`, { email, name: 'Grace' });
  const { userId } = (await created.json()) as { userId: string };
  const database = { status: 'ready', provider: 'postgres', name: 'tenant_x', region: 'local-1', schemaVersion: 1 };
  await createClerkApi({ secretKey, apiUrl: standIn.url }).users.updateUserMetadata(userId, {
    publicMetadata: { database },
  });

  const list = (await (await fetch(`${base}/api/demo/users`)).json()) as {
    users: Array<{ id: string; email: string; name: string; database: unknown }>;
  };
  const row = list.users.find((u) => u.id === userId);
  assert.deepEqual(row && { email: row.email, name: row.name, database: row.database }, {
    email,
    name: 'Grace',
    database,
  });

  const deleted = await fetch(`${base}/api/demo/users/${userId}`, { method: 'DELETE' });
  assert.equal(deleted.status, 200);
  assert.deepEqual(await deleted.json(), { userId, deleted: true });
  const again = await fetch(`${base}/api/demo/users/${userId}`, { method: 'DELETE' });
  assert.equal(again.status, 404);
  const bad = await fetch(`${base}/api/demo/users/robert'); DROP TABLE users`, { method: 'DELETE' });
  assert.equal(bad.status, 400);
});

test('with a real Clerk publishable key the page mounts hosted sign-up and the account routes stay shut', async () => {
  const publishableKey = `pk_test_${Buffer.from('clever-fox-12.clerk.accounts.dev$').toString('base64')}`;
  assert.equal(frontendApiHost(publishableKey), 'clever-fox-12.clerk.accounts.dev');
  assert.equal(frontendApiHost('pk_test_bm90IGEgaG9zdA=='), undefined);

  const clerkBase = await serve({ CLERK_SECRET_KEY: secretKey, CLERK_PUBLISHABLE_KEY: publishableKey });
  const config = (await (await fetch(`${clerkBase}/api/demo/config`)).json()) as { mode: string; clerk: unknown };
  assert.equal(config.mode, 'clerk');
  assert.deepEqual(config.clerk, { publishableKey, frontendApi: 'clever-fox-12.clerk.accounts.dev' });
  for (const [method, path] of [
    ['POST', '/api/demo/sign-up'],
    ['POST', '/api/demo/sessions'],
    ['GET', '/api/demo/users'],
    ['DELETE', '/api/demo/users/user_abc'],
  ] as const) {
    const response = await fetch(`${clerkBase}${path}`, { method });
    assert.equal(response.status, 403, `${method} ${path}`);
  }
  assert.equal(
    demoMode(
      loadConfig(
        {
          CLERK_API_URL: 'https://api.clerk.com',
          CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_ZGVtby1zaWduaW5nLXNlY3JldC0yNC1ieXRlcyE=',
        },
        'webhook',
      ),
    ),
    'unavailable',
  );
});
