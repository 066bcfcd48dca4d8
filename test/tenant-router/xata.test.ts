import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startXataLiteStandIn, startXataStandIn } from '../../dev/xata-stand-in/index.js';
import { applyMigrations, schemaVersion, type Migration } from '../../src/migrations/index.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { createXataLiteProvider } from '../../src/providers/xata-lite.js';
import { createXataProvider } from '../../src/providers/xata.js';
import { createTenantRouter, type TenantRouter } from '../../src/tenant-router/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { clerkUsers, migrationsV1V2, readyRecord, type ClerkUsers } from './tenants.js';

let users: ClerkUsers;
let migrations: Migration[];
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  users = await clerkUsers();
  migrations = await migrationsV1V2();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await users.standIn.stop();
});

function closeLater(router: TenantRouter): TenantRouter {
  cleanups.push(() => router.close());
  return router;
}

describe('tenant router on the Xata platform (stand-in)', () => {
  test("the branch's credentials come from the API, cached until they expire; the schema is brought to v2", async () => {
    const suffix = randomBytes(4).toString('hex');
    const apiKey = `xau_${randomBytes(16).toString('hex')}`;
    const project = { apiKey, organizationId: `org-${suffix}`, projectId: `prj-${suffix}` };
    const standIn = await startXataStandIn({ adminUrl: await testDatabaseUrl(), ...project });
    cleanups.push(() => standIn.stop());
    const options = { ...project, apiUrl: standIn.url, region: 'local', tls: false };
    const provider = createXataProvider({ ...options, branchConfiguration: { instanceType: 'stand-in', image: 'pg' } });

    const userId = await users.signUp();
    const db = await provider.create(userId, {});
    await applyMigrations(await provider.adminConnection(db), migrations.slice(0, 1));
    await users.record(userId, readyRecord(db, 1));

    const routerWith = (credentialsTtlMs: number) =>
      closeLater(
        createTenantRouter({
          clerk: { secretKey: users.secretKey, apiUrl: users.standIn.url },
          xata: { ...options, credentialsTtlMs },
          migrations,
          maxPools: 1,
        }),
      );
    const credentialCalls = () => standIn.requests.filter((r) => r.path.endsWith('/credentials')).length;
    const other = await users.signUp();
    await users.record(other, readyRecord(await provider.create(other, {}), 1));
    /** Opens a new connection to the tenant: the other user's pool evicts its pool (maxPools 1). */
    const reconnect = async (router: TenantRouter) => {
      await (await router.forUser(other)).query('SELECT 1');
      await (await router.forUser(userId)).query('SELECT 1');
    };

    // Credentials that stay valid for the whole test: fetched once, however many connections are opened.
    const cached = routerWith(600_000);
    const handle = await cached.forUser(userId);
    const { rows } = await handle.query<{ db: string }>('SELECT current_database() AS db');
    assert.match(rows[0]!.db, /^xata_br_/);
    await handle.query('SELECT count(*) FROM note_links');
    assert.equal(await schemaVersion(await provider.adminConnection(db)), 2);
    const afterFirst = credentialCalls();
    await Promise.all(Array.from({ length: 10 }, () => handle.query('SELECT pg_sleep(0.02)')));
    await reconnect(cached);
    await reconnect(cached);
    assert.equal(credentialCalls(), afterFirst + 1, 'only the other user fetched credentials');

    // Credentials that expire at once: every new connection fetches them again.
    const expiring = routerWith(1);
    await (await expiring.forUser(userId)).query('SELECT 1');
    const fetchedBefore = credentialCalls();
    await reconnect(expiring);
    assert.ok(credentialCalls() >= fetchedBefore + 2, 'both new connections fetched fresh credentials');
  });
});

describe('tenant router on Xata Lite (stand-in)', () => {
  test('a Lite database is reached with the location from session claims alone (no Clerk call)', async () => {
    const apiKey = `xau_${randomBytes(16).toString('hex')}`;
    const workspaceId = `ws-${randomBytes(4).toString('hex')}`;
    const standIn = await startXataLiteStandIn({ adminUrl: await testDatabaseUrl(), apiKey, workspaceId });
    cleanups.push(() => standIn.stop());
    const options = { apiKey, workspaceId, region: 'local', host: standIn.host, postgres: standIn.postgres };
    const provider = createXataLiteProvider(options);

    const userId = await users.signUp();
    const db = await provider.create(userId, {});
    await applyMigrations(await provider.adminConnection(db), migrations.slice(0, 1));

    // No Clerk settings at all: the app passes the session's copy of publicMetadata.database.
    const router = closeLater(createTenantRouter({ xataLite: options, migrations: migrations.slice(0, 1) }));
    const handle = await router.forUser(userId, readyRecord(db, 1));
    assert.equal(handle.database.name, tenantDatabaseName(userId));
    await handle.query("INSERT INTO notes (title) VALUES ('lite')");
    assert.equal((await handle.query('SELECT title FROM notes')).rows[0].title, 'lite');
  });
});
