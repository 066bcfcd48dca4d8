import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { XataApi } from '../../generated/xata-api.js';
import { startXataStandIn } from '../../dev/xata-stand-in/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';

const branchSchema = (value: unknown) => value as { id: string; name: string };
const credentialsOf = (value: unknown) =>
  value as { username: string; password: string; hostname: string; port: number; dbname: string };

test('platform stand-in: branches are real databases with their own login, kept across restarts, gone on delete', async () => {
  const adminUrl = await testDatabaseUrl();
  const settings = {
    adminUrl,
    apiKey: `xau_${randomBytes(8).toString('hex')}`,
    organizationId: `org-${randomBytes(4).toString('hex')}`,
    projectId: 'prj',
    secret: randomBytes(16).toString('hex'),
  };
  const pathParams = { organizationID: settings.organizationId, projectID: settings.projectId };
  const body = (name: string) => ({
    name,
    mode: 'custom' as const,
    configuration: { region: 'local', instanceType: 'x', image: 'postgres', replicas: 0 },
  });
  const connect = async (credentials: ReturnType<typeof credentialsOf>, database = credentials.dbname) => {
    const { hostname: host, port, username: user, password } = credentials;
    const client = new pg.Client({ host, port, user, password, database });
    await client.connect();
    return client;
  };

  let standIn = await startXataStandIn(settings);
  let xata = new XataApi({ token: settings.apiKey, baseUrl: standIn.url, retry: false });
  const a = branchSchema(await xata.api.branches.createBranch({ pathParams, body: body('a') }));
  const b = branchSchema(await xata.api.branches.createBranch({ pathParams, body: body('b') }));
  const credentials = credentialsOf(
    await xata.api.branches.getBranchCredentials({ pathParams: { ...pathParams, branchID: a.id } }),
  );
  const other = credentialsOf(
    await xata.api.branches.getBranchCredentials({ pathParams: { ...pathParams, branchID: b.id } }),
  );

  const own = await connect(credentials);
  await own.query('CREATE TABLE t (x int)');
  await own.end();
  await assert.rejects(connect(credentials, other.dbname), /permission denied/);

  await standIn.stop();
  standIn = await startXataStandIn(settings);
  xata = new XataApi({ token: settings.apiKey, baseUrl: standIn.url, retry: false });
  const listed = (await xata.api.branches.listBranches({ pathParams })) as { branches: Array<{ name: string }> };
  assert.deepEqual(listed.branches.map((x) => x.name).sort(), ['a', 'b']);
  const again = await connect(credentials);
  assert.equal((await again.query('SELECT count(*)::int AS n FROM t')).rows[0].n, 0);
  await again.end();

  for (const branch of [a, b])
    await xata.api.branches.deleteBranch({ pathParams: { ...pathParams, branchID: branch.id } });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const left = await admin.query(
    'SELECT 1 FROM pg_database WHERE datname = ANY($1) UNION ALL SELECT 1 FROM pg_roles WHERE rolname = ANY($1)',
    [[credentials.dbname, other.dbname]],
  );
  await admin.end();
  assert.equal(left.rowCount, 0);
  await standIn.stop();
});
