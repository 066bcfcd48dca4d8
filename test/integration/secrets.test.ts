import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tenantPassword, tenantPasswordVerifier } from '../../src/providers/tenant-credentials.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { waitForReadyMetadata } from '../helpers/databases.js';
import {
  capturedLogs,
  eventually,
  newUserId,
  startPipeline,
  userCreatedEvent,
  type Pipeline,
} from '../helpers/pipeline.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { historyText, workflowIdsOnTaskQueue } from '../helpers/workflows.js';

const METADATA_FIELDS = ['name', 'provider', 'provisionedAt', 'region', 'regionSource', 'schemaVersion', 'status'];

async function closedStatus(p: Pipeline, userId: string): Promise<string> {
  const handle = p.temporal.client.workflow.getHandle(provisionWorkflowId(userId));
  return eventually(async () => {
    const name = (await handle.describe().catch(() => undefined))?.status.name;
    return name && name !== 'RUNNING' ? name : undefined;
  }, `the run for ${userId} to close`);
}

/** Each secret of a pipeline, with the tenant passwords (and their SCRAM verifiers) of its users. */
async function secretsOf(p: Pipeline, userIds: string[]): Promise<Record<string, string>> {
  const { clerkSecretKey, signingSecret, tenantPasswordSecret } = p.secrets;
  const found: Record<string, string> = {
    'Clerk secret key': clerkSecretKey,
    'webhook signing secret': signingSecret,
    'webhook signing key (base64 part)': signingSecret.slice('whsec_'.length),
    TENANT_PASSWORD_SECRET: tenantPasswordSecret,
    'admin DB password': decodeURIComponent(new URL(p.rawEnv.DATABASE_URL!).password),
  };
  for (const userId of userIds) {
    found[`tenant password of ${userId}`] = tenantPassword(tenantPasswordSecret, userId);
    found[`tenant password verifier of ${userId}`] = await tenantPasswordVerifier(tenantPasswordSecret, userId);
  }
  return found;
}

describe('secrets: none in logs, workflow histories or Clerk metadata, on success and failure paths', () => {
  let ok: Pipeline;
  let broken: Pipeline;
  const okUsers: string[] = [];
  const brokenUsers: string[] = [];

  before(async () => {
    ok = await startPipeline();
    // A worker whose admin credentials PostgreSQL refuses: the run fails for good (BadCredentials).
    const wrongPassword = new URL(await testDatabaseUrl());
    wrongPassword.password = `wrong-${Date.now()}-admin-password`;
    broken = await startPipeline({ env: { DATABASE_URL: wrongPassword.href } });

    for (let i = 0; i < 2; i++) {
      const user = await ok.clerk.users.createUser({ emailAddress: [`secret-${i}-${Date.now()}@example.com`] });
      okUsers.push(user.id);
    }
    // A sign-up Clerk no longer knows, and a webhook with a bad signature.
    const gone = newUserId();
    okUsers.push(gone);
    assert.equal((await ok.postEvent(userCreatedEvent(gone))).status, 202);
    const forged = await ok.postEvent(userCreatedEvent(newUserId()), { headers: { 'svix-signature': 'v1,Zm9yZ2Vk' } });
    assert.equal(forged.status, 401);
    const failing = await broken.clerk.users.createUser({ emailAddress: [`secret-fail-${Date.now()}@example.com`] });
    brokenUsers.push(failing.id);

    for (const userId of okUsers.slice(0, 2)) await waitForReadyMetadata(ok, userId);
    assert.equal(await closedStatus(ok, gone), 'COMPLETED');
    assert.equal(await closedStatus(broken, failing.id), 'FAILED');
  });
  after(async () => {
    await ok.stop();
    await broken.stop();
  });

  test('no secret in any log line or any workflow history of the run', async () => {
    const histories: string[] = [];
    for (const [p, userIds] of [
      [ok, okUsers],
      [broken, brokenUsers],
    ] as const) {
      const listed = await workflowIdsOnTaskQueue(p.temporal.client, p.config.temporal.taskQueue);
      const ids = new Set([...userIds.map(provisionWorkflowId), ...listed]);
      for (const id of ids) histories.push(historyText(await p.temporal.client.workflow.getHandle(id).fetchHistory()));
    }
    const logs = capturedLogs.join('\n');

    // The search is over real material: decoded payloads (activity results) and the failure's own message.
    assert.ok(histories.length >= 4);
    assert.ok(
      histories.some((h) => h.includes(tenantDatabaseName(okUsers[0]!))),
      'decoded activity results',
    );
    assert.match(histories.join('\n'), /PostgreSQL refused the admin credentials/);
    assert.match(logs, /provisioning accepted/);
    assert.match(logs, /webhook refused: signature/);

    const secrets = { ...(await secretsOf(ok, okUsers)), ...(await secretsOf(broken, brokenUsers)) };
    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(secret.length >= 16, `${what} is long enough to search for`);
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        assert.equal(logs.includes(form), false, `${what} found in the logs`);
        assert.equal(
          histories.some((h) => h.includes(form)),
          false,
          `${what} found in a workflow history`,
        );
      }
    }
  });

  test('Clerk metadata holds only the documented database fields, and no secret', async () => {
    const secrets = await secretsOf(ok, okUsers);
    for (const userId of okUsers.slice(0, 2)) {
      const user = await ok.clerk.users.getUser(userId);
      const database = user.publicMetadata.database as Record<string, unknown>;
      assert.deepEqual(Object.keys(database).sort(), METADATA_FIELDS);
      const all = JSON.stringify([user.publicMetadata, user.privateMetadata, user.unsafeMetadata]);
      assert.doesNotMatch(all, /password|postgres(ql)?:\/\//i);
      for (const [what, secret] of Object.entries(secrets)) assert.equal(all.includes(secret), false, what);
    }
  });
});
