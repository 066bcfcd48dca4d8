import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  createXataLiteProvider,
  XataLiteTimeoutError,
  type XataLiteProviderOptions,
} from '../../src/providers/xata-lite.js';
import { PermanentProviderError, ProviderRateLimitError, type DatabaseProvider } from '../../src/providers/types.js';
import { startXataLiteStandIn, type XataLiteStandInHandle } from '../../dev/xata-stand-in/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { describeProviderContract, failureCollector, isPermanent } from './contract.js';
import { abortedWhileHanging } from './hanging-request.js';
import { randomUserId } from './user-ids.js';

interface Workspace {
  standIn: XataLiteStandInHandle;
  options: XataLiteProviderOptions;
}

async function standInWorkspace(): Promise<Workspace> {
  const apiKey = `xau_${randomBytes(16).toString('hex')}`;
  const workspaceId = `ws-${randomBytes(4).toString('hex')}`;
  const standIn = await startXataLiteStandIn({
    adminUrl: await testDatabaseUrl(),
    apiKey,
    workspaceId,
    regions: ['local', 'far-away'],
  });
  return {
    standIn,
    options: { apiKey, workspaceId, region: 'local', host: standIn.host, postgres: standIn.postgres },
  };
}

describeProviderContract('xata-lite', async () => {
  const workspace = await standInWorkspace();
  return { provider: createXataLiteProvider(workspace.options), cleanup: () => workspace.standIn.stop() };
});

describe('xata-lite: API failures', () => {
  let workspace: Workspace;
  let provider: DatabaseProvider;
  const { messages, failure } = failureCollector();

  before(async () => {
    workspace = await standInWorkspace();
    provider = createXataLiteProvider(workspace.options);
  });
  after(() => workspace.standIn.stop());

  test('the SDK retrying a 429 forever is cut off by our timeout with a retryable error', async () => {
    const userId = randomUserId();
    workspace.standIn.setFault({
      method: 'GET',
      path: `/dbs/tenant_${userId}`,
      status: 429,
      times: 1_000_000,
      headers: { 'x-ratelimit-reset': '0.05' },
    });
    const impatient = createXataLiteProvider({ ...workspace.options, callTimeoutMs: 1_000 });
    const error = await failure(impatient.create(userId, {}));
    workspace.standIn.clearFaults(); // lets the SDK's background retry loop finish
    assert.ok(error instanceof XataLiteTimeoutError, String(error));
    assert.ok(!(error instanceof PermanentProviderError) && !(error instanceof ProviderRateLimitError));
    const attempts = workspace.standIn.requests.filter((r) => r.path.endsWith(`/dbs/tenant_${userId}`)).length;
    assert.ok(attempts > 1, `the SDK retried on its own (${attempts} requests)`);
  });

  test('cancelling a create aborts its request in flight', { timeout: 30_000 }, async () => {
    const patient = createXataLiteProvider({ ...workspace.options, callTimeoutMs: 3_600_000 });
    const userId = randomUserId();
    const error = await abortedWhileHanging(
      workspace.standIn,
      { method: 'GET', path: `/dbs/tenant_${userId}` },
      (signal) => patient.create(userId, { signal }),
    );
    assert.ok(!(error instanceof XataLiteTimeoutError), String(error));
    assert.deepEqual(await provider.drop(userId), { existed: false });
  });

  test('401 from a wrong API key is a permanent BadCredentials error', async () => {
    const wrong = createXataLiteProvider({ ...workspace.options, apiKey: 'xau_wrong-key-456' });
    const error = await failure(wrong.create(randomUserId(), {}));
    isPermanent('BadCredentials')(error);
    assert.ok(!error.message.includes('xau_wrong-key-456'));
  });

  test('a workspace that does not exist is a permanent NotFound error', async () => {
    const elsewhere = createXataLiteProvider({ ...workspace.options, workspaceId: 'ws-missing' });
    isPermanent('NotFound')(await failure(elsewhere.create(randomUserId(), {})));
  });

  for (const status of [400, 409, 422]) {
    test(`${status} on createDatabase, with no database there, is a permanent InvalidRequest error`, async () => {
      workspace.standIn.setFault({ method: 'PUT', path: '/dbs/', status });
      const userId = randomUserId();
      isPermanent('InvalidRequest')(await failure(provider.create(userId, {})));
      assert.deepEqual(await provider.drop(userId), { existed: false });
    });
  }

  test('5xx is a plain, retryable error, and the same call succeeds once the API recovers', async () => {
    const userId = randomUserId();
    workspace.standIn.setFault({ method: 'PUT', path: '/dbs/', status: 502 });
    const error = await failure(provider.create(userId, {}));
    assert.ok(!(error instanceof PermanentProviderError) && !(error instanceof ProviderRateLimitError));
    assert.match(error.message, /502/);
    assert.equal((await provider.create(userId, {})).name, `tenant_${userId}`);
    assert.deepEqual(await provider.drop(userId), { existed: true });
  });

  test('a server message that echoes the API key is redacted', async () => {
    const { apiKey } = workspace.options;
    workspace.standIn.setFault({ method: 'PUT', path: '/dbs/', status: 400, body: { message: `bad key ${apiKey}` } });
    const error = await failure(provider.create(randomUserId(), {}));
    assert.match(error.message, /\[redacted\]/);
  });

  test('the PostgreSQL login is the workspace and API key; a refused login does not echo the key', async () => {
    const userId = randomUserId();
    const db = await provider.create(userId, {});
    const connection = await provider.adminConnection(db);
    assert.ok(!JSON.stringify(connection).includes(workspace.options.apiKey));
    const good = new pg.Client(connection);
    await good.connect();
    assert.equal((await good.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
    await good.end();

    const wrongKey = 'xau_not-the-key-789';
    const wrong = createXataLiteProvider({ ...workspace.options, apiKey: wrongKey });
    const refused = new pg.Client(await wrong.adminConnection(db));
    const error = await failure(refused.connect());
    assert.ok(!error.message.includes(wrongKey) && !String(error.stack).includes(wrongKey));
    await provider.drop(userId);
  });

  test('the real service is reached with TLS at {region}.sql.xata.sh as database "<db>:main"', async () => {
    const real = createXataLiteProvider({ apiKey: 'xau_x', workspaceId: 'my-ws-abc', region: 'eu-central-1' });
    const connection = await real.adminConnection({
      provider: 'xata-lite',
      name: 'tenant_user_x',
      region: 'eu-central-1',
    });
    assert.deepEqual(
      { ...connection, password: undefined },
      {
        host: 'eu-central-1.sql.xata.sh',
        port: 5432,
        user: 'my-ws-abc',
        database: 'tenant_user_x:main',
        password: undefined,
        ssl: true,
      },
    );
  });

  test('no error message held the API key', () => {
    assert.ok(messages.length >= 8);
    for (const message of messages) assert.ok(!message.includes(workspace.options.apiKey), message);
  });
});
