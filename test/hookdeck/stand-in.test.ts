import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Hookdeck, HookdeckClient } from '@hookdeck/sdk';
import { startHookdeckStandIn, type HookdeckStandIn } from '../../dev/hookdeck-stand-in/server.js';

const apiKey = `hk_${randomBytes(12).toString('hex')}`;
const validBody = {
  name: 'clerk_to_app',
  source: { name: 'clerk', verification: { type: 'svix', configs: { webhook_secret_key: 'whsec_x' } } },
  destination: { name: 'app', url: 'https://app.example.com/webhooks/clerk' },
  rules: [{ type: 'retry', strategy: 'linear', count: 3, interval: 1000 }],
};

describe('Hookdeck stand-in: strict like the 2024-03-01 API', () => {
  let standIn: HookdeckStandIn;
  const put = (body: unknown, key = apiKey) =>
    fetch(`${standIn.url}/connections`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  before(async () => {
    standIn = await startHookdeckStandIn({ apiKey });
  });
  after(() => standIn.stop());

  test('a valid body gets a Hookdeck-shaped connection', async () => {
    const response = await put(validBody);
    assert.equal(response.status, 200);
    const connection = (await response.json()) as Record<string, unknown> & {
      source: Record<string, unknown>;
      destination: Record<string, unknown>;
    };
    assert.match(String(connection.id), /^web_/);
    assert.equal(connection.full_name, 'clerk -> clerk_to_app');
    assert.match(String(connection.source.id), /^src_/);
    assert.match(String(connection.source.url), /^https:\/\/hkdk\.events\//);
    assert.equal(connection.destination.url, 'https://app.example.com/webhooks/clerk');
    assert.equal(connection.destination.cli_path, null);
    assert.ok(!Number.isNaN(Date.parse(String(connection.created_at))));
  });

  test('requests the real API would refuse get Hookdeck’s { code, status, message } errors', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...validBody, unknown_key: 1 }, /Unrecognized key.*unknown_key/],
      [
        { ...validBody, source: { ...validBody.source, verification: { type: 'svix', configs: {} } } },
        /webhook_secret_key/,
      ],
      [
        { ...validBody, source: { name: 'clerk', verification: { type: 'svix', configs: { webhookSecretKey: 'x' } } } },
        /webhookSecretKey/,
      ],
      [{ ...validBody, destination: { name: 'app' } }, /exactly one of url or cli_path/],
      [{ ...validBody, destination: { name: 'has space', cli_path: '/x' } }, /destination\.name: must match/],
      [{ ...validBody, rules: [{ type: 'retry', strategy: 'fibonacci' }] }, /rules\.0\.strategy/],
      [{ ...validBody, rules: [{ type: 'filter', body: { type: 'user.created' }, extra: true }] }, /extra/],
      [{ name: 'x', destination: validBody.destination }, /exactly one of source or source_id/],
    ];
    for (const [body, message] of cases) {
      const response = await put(body);
      assert.equal(response.status, 422, JSON.stringify(body));
      const error = (await response.json()) as { code: string; status: number; message: string };
      assert.equal(error.code, 'UNPROCESSABLE_ENTITY');
      assert.equal(error.status, 422);
      assert.match(error.message, message);
    }
  });

  test('authentication is a Bearer API key', async () => {
    const response = await put(validBody, 'wrong');
    assert.equal(response.status, 401);
    assert.deepEqual(Object.keys((await response.json()) as object).sort(), ['code', 'message', 'status']);
  });

  test('the Hookdeck SDK reads its answers: a 422 becomes UnprocessableEntityError, a list is parsed', async () => {
    const sdk = new HookdeckClient({ token: apiKey, environment: standIn.url });
    await assert.rejects(
      sdk.connection.upsert({
        name: 'no_destination_target',
        source: { name: 'clerk' },
        destination: { name: 'nowhere' },
      }),
      (error: unknown) =>
        error instanceof Hookdeck.UnprocessableEntityError && /exactly one of url or cli_path/.test(error.message),
    );
    const list = await sdk.connection.list({ name: 'clerk_to_app' });
    assert.equal(list.count, 1);
    assert.equal(list.models?.[0]?.source.name, 'clerk');
    assert.ok(list.models?.[0]?.createdAt instanceof Date);
  });
});
