import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../../dev/local/embedded-postgres.js';
import { createPostgresRegionsProvider } from '../../src/providers/postgres-regions.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { capturedLogs, eventually, randomToken, startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { describeProviderContract, listed } from '../providers/contract.js';
import { randomUserId } from '../providers/user-ids.js';

// A second real PostgreSQL server, so "placed on the us server" means a different server, not another database.
let second: Promise<EmbeddedPostgresHandle> | undefined;
const secondServer = () => (second ??= startThrowawayPostgres('us'));
after(async () => {
  await (await second)?.stop();
});

async function regionUrls() {
  return { eu: await testDatabaseUrl(), us: (await secondServer()).url };
}

async function hasDatabase(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rows.length === 1;
  } finally {
    await client.end();
  }
}

/** The decoded data of every payload in a workflow history (inputs, results, memo, search attributes). */
function payloadTexts(node: unknown): string[] {
  if (node instanceof Uint8Array) return [Buffer.from(node).toString('utf8')];
  if (node === null || typeof node !== 'object') return [];
  return Object.values(node).flatMap(payloadTexts);
}

describeProviderContract('postgres across regions', async () => {
  const urls = await regionUrls();
  return {
    provider: createPostgresRegionsProvider({
      regions: [
        { name: 'eu', adminUrl: urls.eu },
        { name: 'us', adminUrl: urls.us },
      ],
      passwordSecret: randomToken(32),
    }),
  };
});

describe('postgres across regions: placement', () => {
  let urls: { eu: string; us: string };
  let provider: DatabaseProvider;
  before(async () => {
    urls = await regionUrls();
    provider = createPostgresRegionsProvider({
      regions: [
        { name: 'eu', adminUrl: urls.eu },
        { name: 'us', adminUrl: urls.us },
      ],
      passwordSecret: randomToken(32),
    });
  });
  after(() => provider.close());

  test('each user lands on their region’s server only; list, lock and drop work across servers', async () => {
    assert.deepEqual(await provider.regions(), ['eu', 'us']);
    const [inUs, inEu] = [randomUserId(), randomUserId()];
    const us = await provider.create(inUs, { region: 'us' });
    const eu = await provider.create(inEu, {});
    assert.deepEqual([us.region, eu.region], ['us', 'eu']);
    assert.deepEqual(await Promise.all([hasDatabase(urls.us, us.name), hasDatabase(urls.eu, us.name)]), [true, false]);
    assert.deepEqual(await Promise.all([hasDatabase(urls.eu, eu.name), hasDatabase(urls.us, eu.name)]), [true, false]);

    // The tenant's connection goes to the server of its region.
    const tenant = new pg.Client(await provider.adminConnection(us));
    await tenant.connect();
    assert.equal((await tenant.query('SELECT current_database() AS db')).rows[0].db, us.name);
    await tenant.end();

    const all = await listed(provider);
    assert.deepEqual(
      all
        .filter((d) => d.name === us.name || d.name === eu.name)
        .map((d) => `${d.region}:${d.name}`)
        .sort(),
      [`eu:${eu.name}`, `us:${us.name}`].sort(),
    );

    assert.deepEqual(await provider.lock!(inUs), { existed: true });
    assert.deepEqual(await provider.unlock!(inUs), { existed: true });
    assert.deepEqual(await provider.drop(inUs), { existed: true });
    assert.deepEqual(await provider.drop(inUs), { existed: false });
    assert.equal(await hasDatabase(urls.us, us.name), false);
    assert.deepEqual(await provider.drop(inEu), { existed: true });
  });
});

describe('region end to end: sign-up → receiver → workflow → region server → Clerk metadata', () => {
  let p: Pipeline;
  let urls: { eu: string; us: string };
  before(async () => {
    urls = await regionUrls();
    p = await startPipeline({
      env: { POSTGRES_REGIONS: `eu=${urls.eu},us=${urls.us}`, REGION_BY_COUNTRY: 'DE:us,*:eu' },
    });
  });
  after(() => p.stop());

  /** Signs a user up at the Clerk stand-in from `ip`, which sends the signed `user.created` to the receiver. */
  async function signUp(unsafeMetadata: Record<string, unknown>, ip: string): Promise<string> {
    const res = await fetch(`${p.standIn.url}/v1/users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${p.secrets.clerkSecretKey}`,
        'content-type': 'application/json',
        'x-forwarded-for': ip,
      },
      body: JSON.stringify({ email_address: [`r-${randomToken(6)}@example.com`], unsafe_metadata: unsafeMetadata }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }

  async function readyDatabase(userId: string) {
    return eventually(async () => {
      const user = await p.clerk.users.getUser(userId);
      const db = user.publicMetadata.database as Record<string, unknown> | undefined;
      return db?.status === 'ready' ? db : undefined;
    }, `database of ${userId}`);
  }

  test('a valid unsafe_metadata.region is used: the database is on that server, and metadata says why', async () => {
    const userId = await signUp({ region: 'us' }, '10.0.0.8');
    const db = await readyDatabase(userId);
    assert.equal(db.region, 'us');
    assert.equal(db.regionSource, 'sign-up');
    assert.equal(db.regionIgnored, undefined);
    assert.equal(await hasDatabase(urls.us, tenantDatabaseName(userId)), true);
    assert.equal(await hasDatabase(urls.eu, tenantDatabaseName(userId)), false);
  });

  test('without a region, a German sign-up IP maps through REGION_BY_COUNTRY; a private IP gets the default', async () => {
    const fromGermany = await signUp({}, '193.99.144.80');
    const fromLan = await signUp({}, '192.168.1.20');
    const [germany, lan] = await Promise.all([readyDatabase(fromGermany), readyDatabase(fromLan)]);
    assert.deepEqual([germany.region, germany.regionSource], ['us', 'ip']);
    assert.deepEqual([lan.region, lan.regionSource], ['eu', 'default']);
    assert.equal(await hasDatabase(urls.us, tenantDatabaseName(fromGermany)), true);
    // The IP itself went nowhere near the workflow: only the country did.
    const history = await p.temporal.client.workflow.getHandle(`provision-db-${fromGermany}`).fetchHistory();
    const payloads = payloadTexts(history);
    assert.ok(payloads.some((text) => text.includes(`"userId":"${fromGermany}","country":"DE"`)));
    assert.ok(payloads.every((text) => !text.includes('193.99.144.80')));
  });

  test('invalid user input (unknown, wrong type, too long, injection-looking) is ignored: default region, warned', async () => {
    const inputs: unknown[] = ['mars-1', 42, { name: 'us' }, 'u'.repeat(300), "us'; DROP DATABASE postgres; --"];
    const users = await Promise.all(inputs.map((region) => signUp({ region }, '127.0.0.1')));
    const dbs = await Promise.all(users.map(readyDatabase));
    for (const [i, db] of dbs.entries()) {
      assert.equal(db.region, 'eu', `input ${i}`);
      assert.equal(db.regionSource, 'default', `input ${i}`);
      assert.equal(typeof db.regionIgnored, 'string', `input ${i}`);
    }
    assert.match(String(dbs[0]!.regionIgnored), /"mars-1" is not offered/);
    assert.match(String(dbs[1]!.regionIgnored), /is a number/);
    for (const userId of users) {
      assert.ok(capturedLogs.some((line) => line.includes('sign-up region ignored') && line.includes(userId)));
    }
  });
});
