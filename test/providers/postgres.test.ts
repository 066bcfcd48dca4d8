import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createPostgresProvider } from '../../src/providers/postgres.js';
import { tenantConnectionConfig } from '../../src/providers/tenant-connection.js';
import { tenantPassword, tenantPasswordVerifier } from '../../src/providers/tenant-credentials.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { describeProviderContract, isPermanent, listed } from './contract.js';
import { randomUserId } from './user-ids.js';

const REGION = 'local';
const secret = () => randomBytes(32).toString('base64url');

describeProviderContract('postgres', async () => ({
  provider: createPostgresProvider({ adminUrl: await testDatabaseUrl(), passwordSecret: secret(), region: REGION }),
}));

async function query<T extends pg.QueryResultRow>(
  config: pg.ClientConfig | string,
  sql: string,
  params: unknown[] = [],
) {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('postgres provider', () => {
  let adminUrl: string;
  let passwordSecret: string;
  let provider: DatabaseProvider;
  const users: string[] = [];
  const createUser = async (userId = randomUserId()) => {
    users.push(userId);
    return { userId, db: await provider.create(userId, {}) };
  };

  before(async () => {
    adminUrl = await testDatabaseUrl();
    passwordSecret = secret();
    provider = createPostgresProvider({ adminUrl, passwordSecret, region: REGION });
  });

  after(async () => {
    for (const userId of users) await provider.drop(userId);
    await provider.close();
  });

  test('the tenant role owns its database and connects to it, and is refused by another tenant’s', async () => {
    const a = await createUser();
    const b = await createUser();
    const connection = await provider.adminConnection(a.db);
    const [row] = await query<{ user: string; db: string; owner: string }>(
      connection,
      `SELECT current_user AS user, current_database() AS db,
              (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS owner`,
    );
    assert.deepEqual(row, { user: a.db.name, db: a.db.name, owner: a.db.name });

    await assert.rejects(query({ ...connection, database: b.db.name }, 'SELECT 1'), (error: unknown) => {
      assert.equal((error as { code?: string }).code, '42501'); // permission denied for database
      return true;
    });
  });

  test('the role gets a SCRAM verifier, never a plaintext password, identical on every re-run', async () => {
    const { userId, db } = await createUser();
    await provider.create(userId, {});
    const [row] = await query<{ rolpassword: string }>(
      adminUrl,
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [db.name],
    );
    assert.equal(row?.rolpassword, await tenantPasswordVerifier(passwordSecret, userId));
    assert.match(row?.rolpassword ?? '', /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  });

  test('after the secret is rotated, create re-sets the password: the new one logs in, the old one no longer', async () => {
    const { userId } = await createUser();
    const rotatedSecret = secret();
    const rotated = createPostgresProvider({ adminUrl, passwordSecret: rotatedSecret, region: REGION });
    try {
      await rotated.create(userId, {});
    } finally {
      await rotated.close();
    }
    const [row] = await query<{ user: string }>(
      tenantConnectionConfig({ adminUrl, passwordSecret: rotatedSecret }, userId),
      'SELECT current_user AS user',
    );
    assert.equal(row?.user, tenantDatabaseName(userId));
    await assert.rejects(query(tenantConnectionConfig({ adminUrl, passwordSecret }, userId), 'SELECT 1'), {
      code: '28P01',
    });
  });

  test('names are at most 63 bytes: the longest id fits exactly, one character more is refused, never truncated', async () => {
    const longest = randomUserId(63 - 'tenant_user_'.length);
    const { db } = await createUser(longest);
    assert.equal(Buffer.byteLength(db.name), 63);
    const [row] = await query<{ count: number }>(
      adminUrl,
      'SELECT count(*)::int AS count FROM pg_database WHERE datname = $1',
      [db.name],
    );
    assert.equal(row?.count, 1);
    await assert.rejects(provider.create(`${longest}x`, {}), isPermanent('InvalidName'));
  });

  test('ids that differ only in case are different users with different databases', async () => {
    const base = randomUserId(20);
    const lower = await createUser(base.replace(/^user_/, 'user_a'));
    const upper = await createUser(base.replace(/^user_/, 'user_A'));
    assert.notEqual(lower.db.name, upper.db.name);
    const names = (await listed(provider)).map((db) => db.name);
    assert.ok(names.includes(lower.db.name) && names.includes(upper.db.name));
    const [row] = await query<{ db: string }>(
      await provider.adminConnection(upper.db),
      'SELECT current_database() AS db',
    );
    assert.equal(row?.db, upper.db.name);
  });

  test('refused admin credentials are a permanent BadCredentials error that never shows the password', async () => {
    const wrongPassword = `wrong-${randomBytes(9).toString('hex')}`;
    const url = new URL(adminUrl);
    url.password = wrongPassword;
    const bad = createPostgresProvider({ adminUrl: url.toString(), passwordSecret, region: REGION });
    try {
      for (const attempt of [() => bad.create(randomUserId(), {}), () => bad.drop(randomUserId()), () => listed(bad)]) {
        await assert.rejects(attempt(), (error: unknown) => {
          isPermanent('BadCredentials')(error);
          assert.ok(!`${(error as Error).message}\n${(error as Error).stack}`.includes(wrongPassword));
          return true;
        });
      }
    } finally {
      await bad.close();
    }
  });

  test('tenantConnectionConfig lets an app reach the user’s database as the user, on the admin URL’s server', async () => {
    const { userId, db } = await createUser();
    const config = tenantConnectionConfig({ adminUrl, passwordSecret }, userId);
    const admin = new URL(adminUrl);
    assert.equal(config.host, admin.hostname);
    assert.equal(config.port, Number(admin.port));
    assert.equal(config.user, db.name);
    assert.equal(config.database, db.name);
    const [row] = await query<{ user: string; db: string }>(
      config,
      'SELECT current_user AS user, current_database() AS db',
    );
    assert.deepEqual(row, { user: db.name, db: db.name });
  });

  test('tenantConnectionConfig keeps the admin URL’s server and TLS settings but none of its credentials', () => {
    const config = tenantConnectionConfig(
      { adminUrl: 'postgres://admin:admin-pw@db.example.com:6543/postgres?sslmode=no-verify', passwordSecret },
      'user_abc',
    );
    const { host, port, ssl, user, database, password } = config;
    assert.deepEqual(
      { host, port, ssl: { ...(ssl as object) }, user, database, password },
      {
        host: 'db.example.com',
        port: 6543,
        ssl: { rejectUnauthorized: false },
        user: 'tenant_user_abc',
        database: 'tenant_user_abc',
        password: tenantPassword(passwordSecret, 'user_abc'),
      },
    );
    assert.ok(!JSON.stringify(config).includes('admin'));
  });

  test('adminConnection refuses a database of another provider or a non-tenant name', async () => {
    await assert.rejects(
      provider.adminConnection({ provider: 'xata', name: 'tenant_user_abc', region: REGION }),
      isPermanent('InvalidRequest'),
    );
    await assert.rejects(
      provider.adminConnection({ provider: 'postgres', name: 'postgres', region: REGION }),
      isPermanent('InvalidName'),
    );
  });

  test('list() only yields tenant databases', async () => {
    await createUser();
    const all = await listed(provider);
    assert.ok(all.length > 0);
    for (const db of all) {
      assert.match(db.name, /^tenant_user_[A-Za-z0-9]+$/);
      assert.deepEqual(db, { provider: 'postgres', name: db.name, region: REGION });
    }
  });

  test('an abort that cancels on a new admin session sends nothing while that session is still being set up', async () => {
    // node-postgres warns once per process when a query is sent to a client still running another (pg 9 refuses
    // it): the cancel's session was handed out with its search_path statement still queued.
    const busyClientWarnings: string[] = [];
    const onWarning = (warning: Error) => {
      if (/already executing a query/.test(warning.message)) busyClientWarnings.push(warning.message);
    };
    process.on('warning', onWarning);
    // Its own provider: ready() leaves it one idle session, which the create takes, so the cancel opens another.
    const fresh = createPostgresProvider({ adminUrl, passwordSecret, region: REGION });
    await fresh.ready?.();
    const userId = randomUserId();
    const holder = new pg.Client(adminUrl);
    await holder.connect();
    try {
      await holder.query('SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))', [
        tenantDatabaseName(userId),
      ]);
      const cancel = new AbortController();
      const created = fresh.create(userId, { signal: cancel.signal }).then(
        () => assert.fail('expected the cancelled create to fail'),
        (error: unknown) => error as Error,
      );
      const blocked = async () => {
        const { rows } = await holder.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity WHERE pg_catalog.pg_backend_pid() = ANY(pg_catalog.pg_blocking_pids(pid))',
        );
        return rows[0]!.n > 0;
      };
      while (!(await blocked())) await sleep(20);
      cancel.abort();
      assert.match((await created).message, /cancel/i);
      await sleep(0); // 'warning' is emitted on the next tick
      assert.deepEqual(busyClientWarnings, []);
    } finally {
      process.off('warning', onWarning);
      await holder.end();
      await fresh.close();
    }
  });
});
