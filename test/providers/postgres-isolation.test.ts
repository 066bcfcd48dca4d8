/**
 * Tenant isolation on real PostgreSQL, checked as the tenant role itself, on both servers the project supports:
 * the PostgreSQL 15 on 127.0.0.1:5432 and the PostgreSQL 18 the test harness gives (DATABASE_URL). Each test
 * gets an admin database of its own (database-level grants change), dropped afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { DEFAULT_TENANT_LIMITS } from '../../src/providers/postgres-hardening.js';
import { createPostgresProvider, type PostgresProviderOptions } from '../../src/providers/postgres.js';
import { tenantConnectionConfig } from '../../src/providers/tenant-connection.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { randomUserId } from './user-ids.js';

const PG15_URL = process.env.PG15_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withClient<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The SQLSTATE a connection attempt fails with, or 'connected'. */
async function connectOutcome(config: pg.ClientConfig): Promise<string> {
  try {
    await withClient(config, async () => undefined);
    return 'connected';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

for (const server of ['PostgreSQL 15', 'PostgreSQL 18'] as const) {
  describe(`tenant isolation on ${server}`, () => {
    let serverUrl: string;
    const adminDatabases: string[] = [];
    const providers: DatabaseProvider[] = [];
    const passwordSecret = randomBytes(32).toString('base64url');

    const superuser = (database = parseIntoClientConfig(serverUrl).database ?? 'postgres'): pg.ClientConfig => ({
      ...(parseIntoClientConfig(serverUrl) as pg.ClientConfig),
      database,
    });
    const asSuperuser = (database: string | undefined, sql: string, params: unknown[] = []) =>
      withClient(superuser(database), (c) => c.query(sql, params));

    /** A fresh admin database on the server, and its admin URL (the superuser's, database swapped). */
    async function adminDatabase(): Promise<{ name: string; url: string }> {
      const name = `pgsec_${randomBytes(6).toString('hex')}`;
      await asSuperuser(undefined, `CREATE DATABASE ${name}`);
      adminDatabases.push(name);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      return { name, url: url.toString() };
    }

    function provider(adminUrl: string, options: Partial<PostgresProviderOptions> = {}): DatabaseProvider {
      const created = createPostgresProvider({ adminUrl, passwordSecret, region: 'local', ...options });
      providers.push(created);
      return created;
    }

    /** How the tenant connects: the app's own settings (host of the admin URL, derived password). */
    const asTenant = (adminUrl: string, userId: string, database?: string): pg.ClientConfig => ({
      ...tenantConnectionConfig({ adminUrl, passwordSecret }, userId),
      ...(database === undefined ? {} : { database }),
    });

    before(async () => {
      serverUrl = server === 'PostgreSQL 15' ? PG15_URL : await testDatabaseUrl();
    });

    after(async () => {
      for (const p of providers) await p.close();
      for (const name of adminDatabases) {
        await asSuperuser(undefined, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
      // The server is shared: template1 goes back to how a fresh cluster has it.
      await asSuperuser(undefined, 'GRANT CONNECT ON DATABASE template1 TO PUBLIC');
    });

    test('a tenant reaches only its own database: not the admin database, template1 or another tenant’s', async () => {
      const admin = await adminDatabase();
      const p = provider(admin.url);
      const a = randomUserId();
      const b = randomUserId();
      try {
        await p.create(a, {});
        await p.create(b, {});
        assert.equal(await connectOutcome(asTenant(admin.url, a)), 'connected');
        // 42501: permission denied for database.
        assert.equal(await connectOutcome(asTenant(admin.url, a, admin.name)), '42501');
        assert.equal(await connectOutcome(asTenant(admin.url, a, 'template1')), '42501');
        assert.equal(await connectOutcome(asTenant(admin.url, a, tenantDatabaseName(b))), '42501');
      } finally {
        await p.drop(a);
        await p.drop(b);
      }
    });

    test('every tenant session has the statement and idle-in-transaction timeouts', async () => {
      const admin = await adminDatabase();
      const p = provider(admin.url);
      const userId = randomUserId();
      try {
        await p.create(userId, {});
        const settings = await withClient(asTenant(admin.url, userId), async (c) => ({
          statement: (await c.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]!
            .statement_timeout,
          idle: (
            await c.query<{ idle_in_transaction_session_timeout: string }>('SHOW idle_in_transaction_session_timeout')
          ).rows[0]!.idle_in_transaction_session_timeout,
        }));
        assert.deepEqual(settings, { statement: '30s', idle: '1min' });
      } finally {
        await p.drop(userId);
      }
    });

    test('the connection limit is enforced: limit + 1 sessions are refused', async () => {
      const admin = await adminDatabase();
      // The default limit: every provider converges every tenant on its server to its own limit when it starts,
      // and test files running beside this one start providers with the default on the same PostgreSQL 18.
      const limit = DEFAULT_TENANT_LIMITS.connectionLimit;
      const p = provider(admin.url);
      const userId = randomUserId();
      const open: pg.Client[] = [];
      try {
        await p.create(userId, {});
        for (let i = 0; i < limit; i++) {
          const client = new pg.Client(asTenant(admin.url, userId));
          await client.connect();
          open.push(client);
        }
        // 53300: too many connections for role.
        assert.equal(await connectOutcome(asTenant(admin.url, userId)), '53300');
      } finally {
        for (const client of open) await client.end();
        await p.drop(userId);
      }
    });

    test('existing tenants are converged to changed limits when the provider starts', async () => {
      const admin = await adminDatabase();
      const userId = randomUserId();
      const first = provider(admin.url);
      try {
        await first.create(userId, {});
        const second = provider(admin.url, {
          tenantLimits: { connectionLimit: 2, statementTimeoutMs: 5_000, idleInTransactionTimeoutMs: 7_000 },
        });
        await second.ready!();
        const shown = await withClient(asTenant(admin.url, userId), async (c) => [
          (await c.query<{ s: string }>('SELECT current_setting($1) AS s', ['statement_timeout'])).rows[0]!.s,
          (await c.query<{ s: string }>('SELECT current_setting($1) AS s', ['idle_in_transaction_session_timeout']))
            .rows[0]!.s,
        ]);
        assert.deepEqual(shown, ['5s', '7s']);
        const { rows } = await asSuperuser(admin.name, 'SELECT rolconnlimit FROM pg_roles WHERE rolname = $1', [
          tenantDatabaseName(userId),
        ]);
        assert.equal(rows[0]?.rolconnlimit, 2);
      } finally {
        await first.drop(userId);
      }
    });

    test('a tenant role another admin database’s session changes at the same moment is still created', async () => {
      // Roles belong to the server but advisory locks to one database, so a provider on another admin database of
      // the server does not take turns with ours. Its ALTER ROLE … SET, held open here, makes ours wait on the
      // role's settings row; once it commits PostgreSQL fails ours with XX000 "tuple concurrently updated".
      const [ours, theirs] = await Promise.all([adminDatabase(), adminDatabase()]);
      const p = provider(ours.url);
      const userId = randomUserId();
      const role = tenantDatabaseName(userId);
      await p.create(userId, {});
      try {
        await withClient(superuser(theirs.name), async (other) => {
          await other.query('BEGIN');
          await other.query(`ALTER ROLE ${pg.escapeIdentifier(role)} SET statement_timeout = 1000`);
          const created = p.create(userId, {});
          created.catch(() => undefined);
          const waitsOnTheRole = async () =>
            (
              await asSuperuser(
                undefined,
                `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
                [ours.name],
              )
            ).rows[0]?.n === 1;
          for (let waited = 0; !(await waitsOnTheRole()); waited += 20) {
            assert.ok(waited < 30_000, 'our ALTER ROLE never waited on the role');
            await sleep(20);
          }
          await other.query('COMMIT');
          await created;
        });
        const shown = await withClient(
          asTenant(ours.url, userId),
          async (c) => (await c.query('SHOW statement_timeout')).rows,
        );
        assert.deepEqual(shown, [{ statement_timeout: '30s' }]);
      } finally {
        await p.drop(userId);
      }
    });

    test('POSTGRES_KEEP_PUBLIC_CONNECT leaves the admin database’s CONNECT grant alone', async () => {
      const admin = await adminDatabase();
      const privilege = async () =>
        (await asSuperuser(admin.name, `SELECT has_database_privilege('public', current_database(), 'CONNECT') AS c`))
          .rows[0]?.c as boolean;
      await provider(admin.url, { keepPublicConnect: true }).ready!();
      assert.equal(await privilege(), true);
      await provider(admin.url).ready!();
      assert.equal(await privilege(), false);
    });

    test('admin SQL cannot be hijacked by functions a tenant plants in the admin database', async () => {
      const admin = await adminDatabase();
      const planter = randomUserId();
      const open = provider(admin.url, { keepPublicConnect: true });
      await open.create(planter, {});
      try {
        // The pre-PG 15 default (and what pg_upgrade keeps): every role may create in the admin db's public schema.
        await asSuperuser(admin.name, 'GRANT CREATE ON SCHEMA public TO PUBLIC');
        await withClient(asTenant(admin.url, planter, admin.name), async (c) => {
          await c.query('CREATE TABLE public.hijacked (fn text, by_role text)');
          // Better matches than pg_catalog's (text, bigint) and (text, text) for the admin's argument types, so
          // an unqualified call on the default search_path picks these, and they run as the admin.
          await c.query(`CREATE FUNCTION public.hashtextextended(text, integer) RETURNS bigint LANGUAGE sql AS
            $$ INSERT INTO public.hijacked VALUES ('hashtextextended', current_user);
               SELECT pg_catalog.hashtextextended($1, $2) $$`);
          await c.query(`CREATE FUNCTION public.starts_with(name, text) RETURNS boolean LANGUAGE sql AS
            $$ INSERT INTO public.hijacked VALUES ('starts_with', current_user);
               SELECT pg_catalog.starts_with($1::text, $2) $$`);
        });
        const hijacked = async () => (await asSuperuser(admin.name, 'SELECT fn, by_role FROM public.hijacked')).rows;
        // The trap works on an ordinary admin session: the planted function runs as the superuser.
        await asSuperuser(admin.name, `SELECT hashtextextended($1, 0)`, ['x']);
        assert.equal((await hijacked()).length, 1);
        await asSuperuser(admin.name, 'TRUNCATE public.hijacked');

        // A provider refuses an admin database where every role may create objects.
        await assert.rejects(provider(admin.url, { keepPublicConnect: true }).ready!(), (error: Error) => {
          assert.match(error.message, /PUBLIC.*CREATE.*schema "public"/s);
          assert.match(error.message, /REVOKE CREATE ON SCHEMA "public" FROM PUBLIC/);
          return true;
        });

        // With the hole closed but the planted functions still there, no admin statement calls them.
        await asSuperuser(admin.name, 'REVOKE CREATE ON SCHEMA public FROM PUBLIC');
        const p = provider(admin.url, { keepPublicConnect: true });
        const userId = randomUserId();
        await p.create(userId, {});
        await p.lock!(userId);
        await p.unlock!(userId);
        const listed = [];
        for await (const db of p.list()) listed.push(db.name);
        assert.ok(listed.includes(tenantDatabaseName(userId)));
        await p.drop(userId);
        assert.deepEqual(await hijacked(), []);
      } finally {
        // The planted objects live in the admin database; the role cannot be dropped while it owns them.
        await asSuperuser(admin.name, `DROP OWNED BY ${pg.escapeIdentifier(tenantDatabaseName(planter))}`);
        await open.drop(planter);
      }
    });
  });
}
