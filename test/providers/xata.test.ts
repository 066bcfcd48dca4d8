import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { applyMigrations, latestVersion, loadMigrations, schemaVersion } from '../../src/migrations/index.js';
import { createXataProvider, type XataProviderOptions } from '../../src/providers/xata.js';
import { PermanentProviderError, ProviderRateLimitError, type DatabaseProvider } from '../../src/providers/types.js';
import { startXataStandIn, type StandInHandle } from '../../dev/xata-stand-in/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { describeProviderContract, failureCollector, isPermanent } from './contract.js';
import { abortedWhileHanging } from './hanging-request.js';
import { randomUserId } from './user-ids.js';

const TENANT_MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));
const EMPTY_BRANCH = { instanceType: 'stand-in', image: 'postgres' };

interface Project {
  standIn: StandInHandle;
  options: XataProviderOptions;
}

/** A stand-in with its own organization, project and API key, and the provider options that reach it. */
async function standInProject(): Promise<Project> {
  const suffix = randomBytes(4).toString('hex');
  const apiKey = `xau_${randomBytes(16).toString('hex')}`;
  const organizationId = `org-${suffix}`;
  const projectId = `prj-${suffix}`;
  const standIn = await startXataStandIn({
    adminUrl: await testDatabaseUrl(),
    apiKey,
    organizationId,
    projectId,
    regions: ['local', 'far-away'],
  });
  const options = { apiKey, apiUrl: standIn.url, organizationId, projectId, region: 'local', tls: false };
  return { standIn, options };
}

/** Creates a branch the way an operator would (not through the provider), answering its id. */
async function createParentBranch(project: Project, name: string): Promise<string> {
  const { organizationId, projectId, apiKey } = project.options;
  const response = await fetch(
    `${project.standIn.url}/organizations/${organizationId}/projects/${projectId}/branches`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, mode: 'custom', configuration: { region: 'local', ...EMPTY_BRANCH, replicas: 0 } }),
    },
  );
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

async function deleteBranch(project: Project, id: string) {
  const { organizationId, projectId, apiKey } = project.options;
  await fetch(`${project.standIn.url}/organizations/${organizationId}/projects/${projectId}/branches/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${apiKey}` },
  });
}

describeProviderContract('xata (empty branches, custom mode)', async () => {
  const project = await standInProject();
  return {
    provider: createXataProvider({ ...project.options, branchConfiguration: EMPTY_BRANCH }),
    cleanup: () => project.standIn.stop(),
  };
});

describeProviderContract('xata (branches inherit from an empty parent)', async () => {
  const project = await standInProject();
  const parentId = await createParentBranch(project, 'main');
  return {
    provider: createXataProvider({ ...project.options, parentBranch: 'main' }),
    cleanup: async () => {
      await deleteBranch(project, parentId);
      await project.standIn.stop();
    },
  };
});

describe('xata: inherit mode', () => {
  let project: Project;
  let parentId: string;
  let provider: DatabaseProvider;
  const userId = randomUserId();

  before(async () => {
    project = await standInProject();
    parentId = await createParentBranch(project, 'schema-parent');
    provider = createXataProvider({ ...project.options, parentBranch: parentId });
  });
  after(async () => {
    await provider.drop(userId);
    await deleteBranch(project, parentId);
    await project.standIn.stop();
  });

  test("a new branch already has the parent's tables and rows; migrations then have nothing to do", async () => {
    const migrations = await loadMigrations(TENANT_MIGRATIONS);
    const parent = { provider: 'xata' as const, name: 'schema-parent', region: 'local' };
    const parentConnection = await provider.adminConnection(parent);
    await applyMigrations(parentConnection, migrations);
    const seed = new pg.Client(parentConnection);
    await seed.connect();
    await seed.query(`INSERT INTO tags (name) VALUES ('from-parent')`);
    await seed.end();

    const db = await provider.create(userId, {});
    const connection = await provider.adminConnection(db);
    assert.equal(await schemaVersion(connection), latestVersion(migrations));
    assert.deepEqual((await applyMigrations(connection, migrations)).applied, []);
    const client = new pg.Client(connection);
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM tags');
      assert.deepEqual(rows, [{ name: 'from-parent' }]);
      // The branch's own login owns the copied tables, so later migrations can alter them.
      await client.query('ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false');
    } finally {
      await client.end();
    }
  });

  test('a parent branch that does not exist is a permanent NotFound error', async () => {
    const orphan = createXataProvider({ ...project.options, parentBranch: 'no-such-branch' });
    await assert.rejects(orphan.create(randomUserId(), {}), isPermanent('NotFound'));
  });
});

describe('xata: API failures', () => {
  let project: Project;
  let provider: DatabaseProvider;
  const { messages, failure } = failureCollector();

  before(async () => {
    project = await standInProject();
    provider = createXataProvider({ ...project.options, branchConfiguration: EMPTY_BRANCH });
  });
  after(() => project.standIn.stop());

  test('cancelling a create aborts its request in flight', { timeout: 30_000 }, async () => {
    const patient = createXataProvider({
      ...project.options,
      branchConfiguration: EMPTY_BRANCH,
      requestTimeoutMs: 3_600_000,
    });
    const userId = randomUserId();
    const error = await abortedWhileHanging(project.standIn, { method: 'POST', path: '/branches' }, (signal) =>
      patient.create(userId, { signal }),
    );
    assert.match(error.message, /cancelled/);
    assert.deepEqual(await provider.drop(userId), { existed: false });
  });

  test('401 from a wrong API key is a permanent BadCredentials error', async () => {
    const wrong = createXataProvider({
      ...project.options,
      apiKey: 'xau_wrong-key-123',
      branchConfiguration: EMPTY_BRANCH,
    });
    const error = await failure(wrong.create(randomUserId(), {}));
    isPermanent('BadCredentials')(error);
    assert.ok(!error.message.includes('xau_wrong-key-123'));
  });

  test('403 is a permanent BadCredentials error', async () => {
    project.standIn.setFault({ method: 'GET', path: '/branches', status: 403 });
    isPermanent('BadCredentials')(await failure(provider.create(randomUserId(), {})));
  });

  test('a project that does not exist is a permanent NotFound error', async () => {
    const elsewhere = createXataProvider({
      ...project.options,
      projectId: 'prj-missing',
      branchConfiguration: EMPTY_BRANCH,
    });
    isPermanent('NotFound')(await failure(elsewhere.create(randomUserId(), {})));
  });

  for (const status of [400, 412, 422]) {
    test(`${status} on create, with no branch there, is a permanent InvalidRequest error`, async () => {
      project.standIn.setFault({ method: 'POST', path: '/branches', status });
      const userId = randomUserId();
      isPermanent('InvalidRequest')(await failure(provider.create(userId, {})));
      assert.deepEqual(await provider.drop(userId), { existed: false });
    });
  }

  test('429 is a ProviderRateLimitError carrying Retry-After, or x-ratelimit-reset when that is all there is', async () => {
    project.standIn.setFault({ path: '/branches', status: 429, headers: { 'retry-after': '3' } });
    const first = await failure(provider.create(randomUserId(), {}));
    assert.ok(first instanceof ProviderRateLimitError, String(first));
    assert.equal(first.retryAfterMs, 3000);

    project.standIn.setFault({ path: '/branches', status: 429, headers: { 'x-ratelimit-reset': '7' } });
    const second = await failure(provider.drop(randomUserId()));
    assert.ok(second instanceof ProviderRateLimitError, String(second));
    assert.equal(second.retryAfterMs, 7000);
  });

  test('5xx is a plain, retryable error, and the same call succeeds once the API recovers', async () => {
    const userId = randomUserId();
    project.standIn.setFault({ method: 'POST', path: '/branches', status: 503 });
    const error = await failure(provider.create(userId, {}));
    assert.ok(!(error instanceof PermanentProviderError) && !(error instanceof ProviderRateLimitError));
    assert.match(error.message, /503/);
    const db = await provider.create(userId, {});
    assert.equal(db.name, `tenant_${userId}`);
    assert.deepEqual(await provider.drop(userId), { existed: true });
  });

  test('an unreachable API is a plain, retryable error', async () => {
    const closed = await startXataStandIn({ ...project.options, adminUrl: await testDatabaseUrl() });
    await closed.stop();
    const offline = createXataProvider({ ...project.options, apiUrl: closed.url, branchConfiguration: EMPTY_BRANCH });
    const error = await failure(offline.create(randomUserId(), {}));
    assert.ok(!(error instanceof PermanentProviderError) && !(error instanceof ProviderRateLimitError));
  });

  test('a server message that echoes the API key is redacted', async () => {
    const { apiKey } = project.options;
    project.standIn.setFault({
      path: '/branches',
      status: 400,
      body: { message: `key ${apiKey} is not allowed here` },
    });
    const error = await failure(provider.create(randomUserId(), {}));
    assert.match(error.message, /\[redacted\]/);
  });

  test('connection settings use TLS unless turned off, and printing them does not print the password', async () => {
    const userId = randomUserId();
    const db = await provider.create(userId, {});
    const withTls = createXataProvider({ ...project.options, tls: undefined, branchConfiguration: EMPTY_BRANCH });
    assert.equal((await withTls.adminConnection(db)).ssl, true);
    const plain = await provider.adminConnection(db);
    assert.equal(plain.ssl, false);
    assert.equal(typeof plain.password, 'function');
    assert.ok(!JSON.stringify(plain).includes('password'));
    await provider.drop(userId);
  });

  test('no error message held the API key', () => {
    assert.ok(messages.length >= 10);
    for (const message of messages) assert.ok(!message.includes(project.options.apiKey), message);
  });
});
