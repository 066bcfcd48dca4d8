import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import type { Migration } from '../../src/migrations/index.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import {
  createTenantRouter,
  resolveTenant,
  tenantMiddleware,
  type SessionVerification,
  type TenantRouter,
  type TenantRouterOptions,
} from '../../src/tenant-router/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { clerkUsers, migrationsV1V2, readyRecord, type ClerkUsers } from './tenants.js';

const passwordSecret = randomBytes(32).toString('hex');
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwtKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** An RS256 session token as Clerk issues one, signed with a local key. */
function sessionToken(userId: string, extra: Record<string, unknown> = {}, key = keys.privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = b64({ alg: 'RS256', typ: 'JWT', kid: 'ins_test' });
  const payload = b64({
    sub: userId,
    sid: 'sess_test',
    iss: 'https://clerk.test',
    iat: now,
    nbf: now - 5,
    exp: now + 60,
    ...extra,
  });
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key, 'base64url');
  return `${header}.${payload}.${signature}`;
}

let provider: DatabaseProvider;
let users: ClerkUsers;
let migrations: Migration[];
let adminUrl: string;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  adminUrl = await testDatabaseUrl();
  provider = createPostgresProvider({ adminUrl, passwordSecret, region: 'local' });
  users = await clerkUsers();
  migrations = await migrationsV1V2();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await provider.close();
  await users.standIn.stop();
});

function router(options: Partial<TenantRouterOptions> = {}): TenantRouter {
  const url = new URL(adminUrl);
  const created = createTenantRouter({
    clerk: { secretKey: users.secretKey, apiUrl: users.standIn.url },
    postgres: { passwordSecret, regions: { local: { host: url.hostname, port: Number(url.port) } } },
    migrations: migrations.slice(0, 1),
    ...options,
  });
  cleanups.push(() => created.close());
  return created;
}

/** An Express app behind the middleware: GET /db answers the tenant's database name. */
async function app(r: TenantRouter, verify: SessionVerification = { jwtKey }): Promise<string> {
  const server = express()
    .use(tenantMiddleware(r, { verify }))
    .get('/db', async (req, res) => {
      const { rows } = await req.tenant!.query<{ db: string }>('SELECT current_database() AS db');
      res.json({ db: rows[0]!.db });
    })
    .listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/db`;
}

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { db?: string; error: { code: string; message: string; status?: string } },
  };
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('tenantMiddleware (Express, real HTTP)', () => {
  test("a valid session reaches the user's own database, by header or by Clerk's __session cookie", async () => {
    const userId = await users.readyTenant(provider, migrations);
    const url = await app(router());
    assert.deepEqual(await get(url, bearer(sessionToken(userId))), {
      status: 200,
      retryAfter: null,
      body: { db: `tenant_${userId}` },
    });
    assert.equal(
      (await get(url, { cookie: `theme=dark; __session=${sessionToken(userId)}` })).body.db,
      `tenant_${userId}`,
    );
  });

  test('401 without a session, with a token of another key, and with an expired one', async () => {
    const userId = await users.readyTenant(provider, migrations);
    const url = await app(router());
    for (const headers of [
      {},
      bearer('not-a-jwt'),
      bearer(sessionToken(userId, {}, otherKeys.privateKey)),
      bearer(sessionToken(userId, { exp: Math.floor(Date.now() / 1000) - 600, iat: 0, nbf: 0 })),
    ]) {
      const answer = await get(url, headers);
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error.code, 'unauthenticated');
    }
  });

  test('409 database_not_ready with the status while provisioning', async () => {
    const userId = await users.signUp();
    const answer = await get(await app(router()), bearer(sessionToken(userId)));
    assert.equal(answer.status, 409);
    assert.deepEqual(answer.body.error, {
      code: 'database_not_ready',
      message: 'Your database is not ready yet',
      status: 'provisioning',
    });
  });

  test('503 with Retry-After while the schema is behind (onOutdated: error) and when every connection is busy', async () => {
    const behind = await users.readyTenant(provider, migrations, 1);
    const upgrading = await get(await app(router({ migrations, onOutdated: 'error' })), bearer(sessionToken(behind)));
    assert.equal(upgrading.status, 503);
    assert.equal(upgrading.body.error.code, 'database_upgrading');
    assert.equal(upgrading.retryAfter, '5');

    const [a, b] = await Promise.all([1, 2].map(() => users.readyTenant(provider, migrations)));
    const r = router({ maxConnections: 1, acquireTimeoutMs: 200 });
    const held = await (await r.forUser(a!)).connect();
    const busy = await get(await app(r), bearer(sessionToken(b!)));
    held.release();
    assert.equal(busy.status, 503);
    assert.equal(busy.body.error.code, 'database_busy');
    assert.equal(busy.retryAfter, '1');
  });
});

describe('tenantMiddleware with session tokens from the Clerk stand-in (as the Backend API issues them)', () => {
  test('JWKS via the secret key and networkless via the PEM key both reach the own database; others get 401', async () => {
    const userId = await users.readyTenant(provider, migrations);
    const session = await users.clerk.sessions.createSession({ userId });
    const { jwt } = await users.clerk.sessions.getToken(session.id);
    const r = router();
    for (const verify of [
      { secretKey: users.secretKey, apiUrl: users.standIn.url },
      { jwtKey: users.standIn.jwtPublicKey, authorizedParties: ['http://localhost:3000'] },
    ]) {
      const url = await app(r, verify);
      assert.deepEqual((await get(url, bearer(jwt))).body, { db: `tenant_${userId}` });
      // The stand-in's token is not valid for the local test key, nor is the test key's for the stand-in.
      assert.equal((await get(url, bearer(sessionToken(userId)))).status, 401);
    }
    const wrongParty = await resolveTenant(r, new Request('http://app.test', { headers: bearer(jwt) }), {
      jwtKey: users.standIn.jwtPublicKey,
      authorizedParties: ['https://elsewhere.example'],
    });
    assert.equal(wrongParty.ok, false);
    assert.equal(!wrongParty.ok && wrongParty.status, 401);
  });
});

describe('resolveTenant (any framework)', () => {
  test('a Fetch API request with the metadata in its session claims needs no Clerk call', async () => {
    const userId = await users.readyTenant(provider, migrations);
    const db = { provider: 'postgres' as const, name: `tenant_${userId}`, region: 'local' };
    // A router with no Clerk settings: only the session claims can tell it where the database is.
    const url = new URL(adminUrl);
    const r = createTenantRouter({
      postgres: { passwordSecret, regions: { local: { host: url.hostname, port: Number(url.port) } } },
      migrations: migrations.slice(0, 1),
    });
    cleanups.push(() => r.close());
    const token = sessionToken(userId, { metadata: { database: readyRecord(db, 1) } });
    const request = new Request('http://app.test/api', { headers: { authorization: `Bearer ${token}` } });
    const resolution = await resolveTenant(r, request, { jwtKey });
    assert.ok(resolution.ok);
    assert.equal(resolution.userId, userId);
    assert.equal((await resolution.tenant.query('SELECT 1 AS one')).rows[0].one, 1);
  });
});
