import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { schemaVersion, type Migration } from '../../src/migrations/index.js';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { tenantPassword } from '../../src/providers/tenant-credentials.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import {
  createTenantRouter,
  TenantNotReadyError,
  TenantPoolExhaustedError,
  TenantRouterConfigError,
  TenantUpgradingError,
  type TenantRouter,
  type TenantRouterOptions,
} from '../../src/tenant-router/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import {
  clerkUsers,
  migrationsV1V2,
  readyRecord,
  sessionsByRole,
  waitForSessions,
  type ClerkUsers,
} from './tenants.js';

const passwordSecret = randomBytes(32).toString('hex');
let adminUrl: string;
let provider: DatabaseProvider;
let users: ClerkUsers;
let migrations: Migration[];
const routers: TenantRouter[] = [];

/** A router reaching the test server as region "local", reading locations from the Clerk stand-in. */
function router(options: Partial<TenantRouterOptions> = {}): TenantRouter {
  const url = new URL(adminUrl);
  const created = createTenantRouter({
    clerk: { secretKey: users.secretKey, apiUrl: users.standIn.url },
    postgres: { passwordSecret, regions: { local: { host: url.hostname, port: Number(url.port) } } },
    migrations: migrations.slice(0, 1),
    ...options,
  });
  routers.push(created);
  return created;
}

const role = tenantDatabaseName;

before(async () => {
  adminUrl = await testDatabaseUrl();
  provider = createPostgresProvider({ adminUrl, passwordSecret, region: 'local' });
  users = await clerkUsers();
  migrations = await migrationsV1V2();
});

after(async () => {
  await Promise.all(routers.map((r) => r.close()));
  await provider.close();
  await users.standIn.stop();
});

describe('tenant router on PostgreSQL', () => {
  test("a user's handle reaches their own database, as their own role", async () => {
    const userId = await users.readyTenant(provider, migrations);
    const handle = await router().forUser(userId);
    assert.deepEqual(handle.database, { provider: 'postgres', name: role(userId), region: 'local' });
    const { rows } = await handle.query<{ who: string; db: string }>(
      'SELECT current_user AS who, current_database() AS db',
    );
    assert.deepEqual(rows[0], { who: role(userId), db: role(userId) });
    await handle.query("INSERT INTO notes (title) VALUES ('hello')");
    assert.equal((await handle.query('SELECT title FROM notes')).rows[0].title, 'hello');
  });

  test("isolation: A sees only A's data and cannot connect to B's database", async () => {
    const a = await users.readyTenant(provider, migrations);
    const b = await users.readyTenant(provider, migrations);
    const r = router();
    await (await r.forUser(b)).query("INSERT INTO notes (title) VALUES ('secret of b')");
    const handleA = await r.forUser(a);
    assert.equal((await handleA.query('SELECT count(*)::int AS n FROM notes')).rows[0].n, 0);

    // A's own credentials against B's database name: PostgreSQL refuses.
    const url = new URL(adminUrl);
    const client = new pg.Client({
      host: url.hostname,
      port: Number(url.port),
      user: role(a),
      password: tenantPassword(passwordSecret, a),
      database: role(b),
    });
    await assert.rejects(client.connect(), (error: { code?: string }) => error.code === '42501');

    // Metadata (a session claim) naming B's database for A gets no connection at all.
    const forged = readyRecord({ provider: 'postgres', name: role(b), region: 'local' }, 1);
    await assert.rejects(r.forUser(a, forged), TenantRouterConfigError);
  });

  test('the global and per-tenant caps hold under concurrency', async () => {
    const tenants = await Promise.all(Array.from({ length: 5 }, () => users.readyTenant(provider, migrations)));
    const r = router({ maxConnections: 6, maxConnectionsPerTenant: 2, acquireTimeoutMs: 30_000 });
    const handles = await Promise.all(tenants.map((t) => r.forUser(t)));
    let peakServer = 0;
    let peakPerTenant = 0;
    let peakCounted = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        const sessions = await sessionsByRole(adminUrl, tenants.map(role));
        peakServer = Math.max(
          peakServer,
          [...sessions.values()].reduce((a, n) => a + n, 0),
        );
        peakPerTenant = Math.max(peakPerTenant, ...sessions.values());
        peakCounted = Math.max(peakCounted, r.stats().connections);
      }
    })();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => handles[i % handles.length]!.query('SELECT pg_sleep(0.05)')),
    );
    running = false;
    await sampler;
    assert.ok(peakServer <= 6, `server saw ${peakServer} tenant sessions, cap 6`);
    assert.ok(peakPerTenant <= 2, `one tenant had ${peakPerTenant} sessions, cap 2`);
    assert.ok(peakCounted <= 6, `router counted ${peakCounted} connections, cap 6`);
    assert.ok(peakServer > 2, `the load reached several tenants at once (peak ${peakServer})`);
  });

  test('many tenants under a small cap: every concurrent request waits its turn and none fails', async () => {
    const tenants = await Promise.all(Array.from({ length: 12 }, () => users.readyTenant(provider, migrations)));
    const r = router({ maxConnections: 4, maxConnectionsPerTenant: 2, acquireTimeoutMs: 60_000 });
    const sessions = tenants.map((t) => readyRecord({ provider: 'postgres', name: role(t), region: 'local' }, 1));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, async (_, i) => {
        const n = (i * 7) % tenants.length;
        const handle = await r.forUser(tenants[n]!, sessions[n]);
        if (i % 3 === 0) {
          const client = await handle.connect();
          try {
            return (
              (await client.query<{ who: string }>('SELECT current_user AS who')).rows[0]?.who === role(tenants[n]!)
            );
          } finally {
            client.release();
          }
        }
        return (await handle.query<{ who: string }>('SELECT current_user AS who')).rows[0]?.who === role(tenants[n]!);
      }),
    );
    const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason));
    assert.deepEqual(failed, []);
    assert.ok(outcomes.every((o) => o.status === 'fulfilled' && o.value));
    assert.ok(r.stats().evictions > 0, 'the load made the router evict pools');
    assert.ok(r.stats().connections <= 4);
  });

  test('a full router evicts the least recently used idle pool and closes its connections', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => users.readyTenant(provider, migrations)));
    const r = router({ maxConnections: 2, maxConnectionsPerTenant: 1, idleTimeoutMs: 600_000 });
    await (await r.forUser(a!)).query('SELECT 1');
    await (await r.forUser(b!)).query('SELECT 1');
    await waitForSessions(adminUrl, role(a!), 1);
    await (await r.forUser(c!)).query('SELECT 1');
    await waitForSessions(adminUrl, role(a!), 0);
    assert.equal((await sessionsByRole(adminUrl, [role(b!)])).get(role(b!)), 1);
    assert.equal(r.stats().evictions, 1);
    assert.ok(r.stats().connections <= 2);
  });

  test('eviction waits for a checked-out connection, then closes it', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => users.readyTenant(provider, migrations)));
    const r = router({ maxPools: 1, idleTimeoutMs: 600_000 });
    const held = await (await r.forUser(a!)).connect();
    await r.forUser(b!); // the pool limit is 1: A's pool is evicted while A's client is out
    assert.equal(r.stats().evictions, 1);
    assert.equal((await held.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n, 1);
    assert.equal((await sessionsByRole(adminUrl, [role(a!)])).get(role(a!)), 1);
    held.release();
    await waitForSessions(adminUrl, role(a!), 0);
  });

  test('a pool evicted while requests wait in it still serves them, then closes', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => users.readyTenant(provider, migrations)));
    const r = router({ maxPools: 1, maxConnectionsPerTenant: 1, idleTimeoutMs: 600_000 });
    const handleA = await r.forUser(a!);
    const held = await handleA.connect();
    const waiting = handleA.query<{ n: number }>('SELECT 2 AS n'); // waits in A's pool for the held connection
    await r.forUser(b!); // the pool limit is 1: A's pool is evicted with a request waiting in it
    assert.equal(r.stats().evictions, 1);
    held.release();
    const answered = await Promise.race([
      waiting.then(({ rows }) => rows[0]?.n),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 20 s'), 20_000).unref()),
    ]);
    assert.equal(answered, 2);
    await waitForSessions(adminUrl, role(a!), 0);
  });

  test('idle pools are closed after the idle timeout', async () => {
    const a = await users.readyTenant(provider, migrations);
    const r = router({ idleTimeoutMs: 300 });
    await (await r.forUser(a)).query('SELECT 1');
    await waitForSessions(adminUrl, role(a), 0);
    assert.equal(r.stats().connections, 0);
  });

  test('every connection busy: a typed error after the wait, not an extra connection', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => users.readyTenant(provider, migrations)));
    const r = router({ maxConnections: 1, acquireTimeoutMs: 300 });
    const held = await (await r.forUser(a!)).connect();
    // B's schema check already needs a connection: forUser or the query, whichever waits, fails the same way.
    await assert.rejects(async () => (await r.forUser(b!)).query('SELECT 1'), TenantPoolExhaustedError);
    held.release();
    await (await r.forUser(b!)).query('SELECT 1');
  });

  test('typed errors while provisioning, after a failure, and after deletion', async () => {
    const r = router({ locationTtlMs: 50 });
    const userId = await users.signUp();
    await assert.rejects(r.forUser(userId), { name: 'TenantNotReadyError', status: 'provisioning' });

    const db = await provider.create(userId, {});
    await users.record(userId, { ...readyRecord(db, 1), status: 'failed' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assert.rejects(r.forUser(userId), { name: 'TenantNotReadyError', status: 'failed' });

    await users.record(userId, { status: 'deleted' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assert.rejects(r.forUser(userId), { name: 'TenantNotReadyError', status: 'deleted' });

    await users.clerk.users.deleteUser(userId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const gone = await r.forUser(userId).catch((error: unknown) => error);
    assert.ok(gone instanceof TenantNotReadyError && gone.status === 'missing', String(gone));
  });

  test('an id that is not a Clerk user id is refused before any lookup', async () => {
    await assert.rejects(router().forUser('user_x/../../v1/users'), {
      name: 'PermanentProviderError',
      type: 'InvalidName',
    });
  });

  test('a user becomes reachable once provisioning records the database', async () => {
    const r = router({ locationTtlMs: 50 });
    const userId = await users.signUp();
    await assert.rejects(r.forUser(userId), TenantNotReadyError);
    const db = await provider.create(userId, {});
    await users.record(userId, readyRecord(db, 0));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Never migrated: the router applies the schema before handing the database out.
    await (await r.forUser(userId)).query('SELECT count(*) FROM notes');
  });
});

describe('tenant router during a TENANT_PASSWORD_SECRET rotation', () => {
  const newSecret = randomBytes(32).toString('hex');
  const server = () => {
    const url = new URL(adminUrl);
    return { local: { host: url.hostname, port: Number(url.port) } };
  };
  /** A router deployed with the new secret, and the old one as previous while `previous` is true. */
  const rotating = (previous: boolean) =>
    router({
      postgres: {
        passwordSecret: newSecret,
        previousPasswordSecret: previous ? passwordSecret : undefined,
        regions: server(),
      },
    });
  /** What `per-user-db rotate-credentials` does to one tenant. */
  const rotate = async (userId: string) => {
    const rotator = createPostgresProvider({
      adminUrl,
      passwordSecret: newSecret,
      previousPasswordSecret: passwordSecret,
      region: 'local',
    });
    try {
      await rotator.rotateCredentials!(userId);
    } finally {
      await rotator.close();
    }
  };
  const whoAmI = async (r: TenantRouter, userId: string) =>
    (await (await r.forUser(userId)).query<{ who: string }>('SELECT current_user AS who')).rows[0]?.who;

  test('a tenant not yet rotated is reachable with the previous secret set, and refused without it', async () => {
    const userId = await users.readyTenant(provider, migrations);
    assert.equal(await whoAmI(rotating(true), userId), role(userId));
    await assert.rejects(whoAmI(rotating(false), userId), (error: { code?: string }) => error.code === '28P01');
  });

  test('a rotated tenant logs in with the current secret, with or without the previous one', async () => {
    const userId = await users.readyTenant(provider, migrations);
    await rotate(userId);
    assert.equal(await whoAmI(rotating(true), userId), role(userId));
    assert.equal(await whoAmI(rotating(false), userId), role(userId));
  });

  test('a tenant rotated while its pool is open: the next connection logs in with the current secret', async () => {
    const userId = await users.readyTenant(provider, migrations);
    const r = rotating(true);
    const handle = await r.forUser(userId);
    const before = await handle.connect(); // logged in with the previous secret; keeps the next checkout off it
    await rotate(userId);
    const after = await handle.connect();
    try {
      assert.equal((await after.query<{ who: string }>('SELECT current_user AS who')).rows[0]?.who, role(userId));
    } finally {
      after.release();
      before.release();
    }
  });
});

describe('schema version gate during a rollout', () => {
  test('a tenant at v1 is migrated to v2 on first access', async () => {
    const userId = await users.readyTenant(provider, migrations, 1);
    const r = router({ migrations });
    const handles = await Promise.all([1, 2, 3].map(() => r.forUser(userId)));
    const config = await provider.adminConnection({ provider: 'postgres', name: role(userId), region: 'local' });
    assert.equal(await schemaVersion(config), 2);
    await handles[0]!.query('SELECT from_note, to_note FROM note_links');
  });

  test("onOutdated 'error': TenantUpgradingError, and the schema is left alone", async () => {
    const userId = await users.readyTenant(provider, migrations, 1);
    const r = router({ migrations, onOutdated: 'error' });
    const error = await r.forUser(userId).catch((e: unknown) => e);
    assert.ok(error instanceof TenantUpgradingError, String(error));
    assert.equal(error.schemaVersion, 1);
    assert.equal(error.requiredSchemaVersion, 2);
    const config = await provider.adminConnection({ provider: 'postgres', name: role(userId), region: 'local' });
    assert.equal(await schemaVersion(config), 1);
  });

  test('an app that needs only v1 uses a v1 tenant as it is', async () => {
    const userId = await users.readyTenant(provider, migrations, 1);
    const r = router({ migrations, requiredSchemaVersion: 1, onOutdated: 'error' });
    await (await r.forUser(userId)).query('SELECT count(*) FROM notes');
    const config = await provider.adminConnection({ provider: 'postgres', name: role(userId), region: 'local' });
    assert.equal(await schemaVersion(config), 1);
  });
});
