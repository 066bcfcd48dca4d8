import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { tenantConnectionConfig } from '../../src/providers/tenant-connection.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { PROVIDERS } from '../../src/config/index.js';
import { schemaVersion } from '../../src/migrations/index.js';
import { createProvider } from '../../src/providers/index.js';
import { providerEnv, type ProviderEnv } from '../helpers/provider-env.js';
import { databaseCount, waitForReadyMetadata } from '../helpers/databases.js';
import { startPipeline, userCreatedEvent, type Pipeline } from '../helpers/pipeline.js';

describe('provisioning: sign-up to ready database', () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline();
  });
  after(() => p.stop());

  test('a user created in Clerk gets a database with the schema, isolated from others, recorded in Clerk', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`a-${Date.now()}@example.com`], password: undefined });
    const ready = await waitForReadyMetadata(p, user.id);
    const metadata = ready.publicMetadata.database as Record<string, unknown>;
    assert.equal(metadata.provider, 'postgres');
    assert.equal(metadata.name, tenantDatabaseName(user.id));
    assert.equal(metadata.schemaVersion, 1);
    assert.equal(typeof metadata.provisionedAt, 'string');

    const settings = { adminUrl: p.adminUrl, passwordSecret: p.secrets.tenantPasswordSecret };
    const own = new pg.Client(tenantConnectionConfig(settings, user.id));
    await own.connect();
    const { rows } = await own.query("SELECT to_regclass('public.notes') AS t");
    assert.equal(rows[0].t, 'notes');
    await own.query("INSERT INTO notes (title) VALUES ('hello')");
    await own.end();

    const other = await p.clerk.users.createUser({ emailAddress: [`b-${Date.now()}@example.com`] });
    await waitForReadyMetadata(p, other.id);
    const intruder = new pg.Client({
      ...tenantConnectionConfig(settings, user.id),
      database: tenantDatabaseName(other.id),
    });
    await assert.rejects(intruder.connect(), (e: { code?: string }) => e.code === '42501');

    const status = await fetch(`${p.receiver.url}/api/users/${user.id}/database`, {
      headers: await p.authHeaders(user.id),
    });
    assert.equal(status.status, 200);
    const body = (await status.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ready');
    assert.equal(body.workflowId, `provision-db-${user.id}`);
    assert.match(String(body.temporalUiUrl), /\/namespaces\/default\/workflows\/provision-db-user_/);
    assert.deepEqual(
      (body.steps as Array<{ state: string }>).map((s) => s.state),
      ['done', 'done', 'done'],
    );
  });

  test('the same event 3× concurrently and once after completion: one database, every answer 2xx', async () => {
    // Clerk's own delivery races with three copies of the same event.
    const user = await p.clerk.users.createUser({ emailAddress: [`dup-${Date.now()}@example.com`] });
    const event = userCreatedEvent(user.id);
    const answers = await Promise.all([1, 2, 3].map(() => p.postEvent(event, { svixId: 'msg_same' })));
    for (const a of answers) assert.equal(a.status, 202, JSON.stringify(a.body));
    assert.equal(new Set(answers.map((a) => a.body.workflowId)).size, 1);
    await p.temporal.client.workflow.getHandle(`provision-db-${user.id}`).result();
    const late = await p.postEvent(event);
    assert.equal(late.status, 202);
    assert.equal(late.body.status, 'already-provisioned');
    assert.equal(await databaseCount(p.adminUrl, tenantDatabaseName(user.id)), 1);
    let runs = 0;
    for await (const _run of p.temporal.client.workflow.list({ query: `WorkflowId = 'provision-db-${user.id}'` }))
      runs++;
    assert.equal(runs, 1);
  });
});

// The same sign-up on every provider: Xata's two APIs through their local stand-ins, configured by env only.
for (const providerName of PROVIDERS) {
  describe(`provisioning on ${providerName}`, () => {
    let p: Pipeline;
    let provider: ProviderEnv;
    before(async () => {
      provider = await providerEnv(providerName);
      p = await startPipeline({ env: provider.env });
    });
    after(async () => {
      await p.stop();
      await provider.stop();
    });

    test('sign-up → database with the schema → metadata ready → status API ready', async () => {
      const user = await p.clerk.users.createUser({ emailAddress: [`${providerName}-${Date.now()}@example.com`] });
      const ready = await waitForReadyMetadata(p, user.id);
      const metadata = ready.publicMetadata.database as { provider: string; name: string; region: string };
      assert.equal(metadata.provider, providerName);
      assert.equal(metadata.name, tenantDatabaseName(user.id));

      const adapter = await createProvider(p.config.provider);
      try {
        const connection = await adapter.adminConnection({ ...metadata, provider: providerName });
        assert.equal(await schemaVersion(connection), 1);
      } finally {
        await adapter.close();
      }
      const headers = await p.authHeaders(user.id);
      const status = (await (await fetch(`${p.receiver.url}/api/users/${user.id}/database`, { headers })).json()) as {
        status: string;
      };
      assert.equal(status.status, 'ready');
    });
  });
}
