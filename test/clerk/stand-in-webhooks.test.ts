import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifyWebhook } from '@clerk/backend/webhooks';
import { pino } from 'pino';
import { Webhook } from 'svix';
import { ClerkStandInOptionsError, startClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { freePort } from '../../dev/local/free-port.js';
import {
  SECRET_KEY,
  eventually,
  newSigningSecret,
  standInWithClient,
  startHangingEndpoint,
  startWebhookReceiver,
  uniqueEmail,
  type ReceivedWebhook,
} from './stand-in-helpers.js';

/** Verifies one received request with both libraries a receiver may use, and returns the event. */
async function verifyBoth(received: ReceivedWebhook, signingSecret: string, url: string) {
  const headers = Object.fromEntries(
    ['svix-id', 'svix-timestamp', 'svix-signature'].map((name) => [name, String(received.headers[name])]),
  );
  const viaSvix = new Webhook(signingSecret).verify(received.raw, headers);
  const viaClerk = await verifyWebhook(new Request(url, { method: 'POST', headers, body: received.raw }), {
    signingSecret,
  });
  assert.deepEqual(viaClerk, viaSvix);
  return viaClerk;
}

describe('Clerk stand-in: webhooks delivered the way Svix does', () => {
  test('user.created reaches an endpoint added at runtime, signed so svix and @clerk/backend both verify it', async () => {
    const { standIn, clerk } = await standInWithClient({ retryTimeScale: 0.001, instanceId: 'ins_standInTest1' });
    const receiver = await startWebhookReceiver();
    const signingSecret = newSigningSecret();
    standIn.addWebhookEndpoint({ url: receiver.url, signingSecret });

    const browser = 'Mozilla/5.0 (X11; Linux x86_64) DemoBrowser/1.0';
    const response = await fetch(`${standIn.url}/v1/users`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${SECRET_KEY}`,
        'Content-Type': 'application/json',
        'User-Agent': browser,
        'X-Forwarded-For': '203.0.113.7, 10.0.0.1',
      },
      body: JSON.stringify({ email_address: [uniqueEmail()], first_name: 'Grace' }),
    });
    const user = (await response.json()) as { id: string };
    const delivery = await standIn.waitForDelivery({ userId: user.id, eventType: 'user.created' });
    assert.equal(delivery.state, 'succeeded');
    assert.equal(receiver.received.length, 1);

    const received = receiver.received[0]!;
    assert.equal(received.headers['content-type'], 'application/json');
    assert.equal(received.headers['svix-id'], delivery.messageId);
    assert.match(delivery.messageId, /^msg_[0-9A-Za-z]{27}$/);
    const event = await verifyBoth(received, signingSecret, receiver.url);
    assert.equal(event.type, 'user.created');
    assert.equal(event.object, 'event');
    assert.equal(event.instance_id, 'ins_standInTest1');
    assert.equal(event.data.id, user.id);
    assert.deepEqual(event.event_attributes.http_request, { client_ip: '203.0.113.7', user_agent: browser });
    assert.deepEqual(
      (await clerk.users.getUser(user.id)).raw,
      event.data,
      'the event carries the user as the API shows it',
    );
  });

  test('a delivery that fails twice is retried with the same svix-id until it succeeds', async () => {
    const signingSecret = newSigningSecret();
    const receiver = await startWebhookReceiver([500, 503]);
    const logLines: string[] = [];
    const { standIn, clerk } = await standInWithClient({
      retryTimeScale: 0.001,
      webhooks: [{ url: receiver.url, signingSecret }],
      logger: pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) }),
    });
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const delivery = await standIn.waitForDelivery({ userId: user.id });

    assert.equal(delivery.state, 'succeeded');
    assert.deepEqual(
      delivery.attempts.map((a) => a.statusCode),
      [500, 503, 204],
    );
    assert.ok(delivery.attempts.every((a) => a.error === null && a.durationMs >= 0));
    assert.equal(receiver.received.length, 3);
    for (const received of receiver.received) {
      assert.equal(received.headers['svix-id'], delivery.messageId);
      const event = await verifyBoth(received, signingSecret, receiver.url);
      assert.equal(event.data.id, user.id);
      assert.equal(event.event_attributes.http_request.user_agent.startsWith('@clerk/backend'), true);
    }
    assert.equal(new Set(receiver.received.map((r) => r.raw)).size, 1, 'every attempt carries the same payload');

    const anonymous = await fetch(`${standIn.url}/_stand-in/deliveries`);
    assert.equal(anonymous.status, 401);
    const listed = await fetch(`${standIn.url}/_stand-in/deliveries?user_id=${user.id}`, {
      headers: { Authorization: `Bearer ${SECRET_KEY}` },
    });
    assert.equal(listed.headers.get('content-type'), 'application/json');
    const text = await listed.text();
    assert.deepEqual(JSON.parse(text), { data: standIn.deliveries({ userId: user.id }) });
    assert.deepEqual(standIn.deliveries({ userId: user.id }), [delivery]);
    assert.ok(!text.includes(signingSecret.slice('whsec_'.length)), 'the signing secret is never listed');
    const logs = logLines.join('');
    assert.match(logs, /webhook delivery attempt failed; will retry/);
    assert.match(logs, /webhook delivered/);
    for (const secret of [SECRET_KEY, signingSecret.slice('whsec_'.length)]) {
      assert.ok(!logs.includes(secret), 'no secret reaches the logs');
    }
  });

  test('user.deleted carries { object, id, deleted: true }', async () => {
    const signingSecret = newSigningSecret();
    const receiver = await startWebhookReceiver();
    const { standIn, clerk } = await standInWithClient({ webhooks: [{ url: receiver.url, signingSecret }] });
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    await clerk.users.deleteUser(user.id);
    const delivery = await standIn.waitForDelivery({ userId: user.id, eventType: 'user.deleted' });
    assert.equal(delivery.state, 'succeeded');
    const received = receiver.received.find((r) => r.headers['svix-id'] === delivery.messageId);
    assert.ok(received);
    const event = await verifyBoth(received, signingSecret, receiver.url);
    assert.equal(event.type, 'user.deleted');
    assert.deepEqual(event.data, { object: 'user', id: user.id, deleted: true });
  });

  test('network errors and timeouts count as failed attempts; stop() cancels pending retries', async () => {
    const closedPort = await freePort();
    const { standIn, clerk } = await standInWithClient({
      attemptTimeoutMs: 200,
      webhooks: [{ url: `http://127.0.0.1:${closedPort}/hook`, signingSecret: newSigningSecret() }],
    });
    const hanging = await startHangingEndpoint();
    standIn.addWebhookEndpoint({ url: hanging, signingSecret: newSigningSecret() });
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    await eventually(
      () => standIn.deliveries({ userId: user.id }).every((d) => d.attempts.length === 1 && d.nextAttemptAt !== null),
      'the first attempt to each endpoint to fail',
    );
    const [refused, timedOut] = standIn.deliveries({ userId: user.id });
    assert.equal(refused?.attempts[0]?.statusCode, null);
    assert.equal(refused?.attempts[0]?.error, 'ECONNREFUSED');
    assert.equal(timedOut?.attempts[0]?.error, 'no answer within 200 ms');
    assert.equal(refused?.state, 'pending');

    const timersBefore = countTimers();
    await standIn.stop();
    assert.ok(standIn.deliveries().every((d) => d.state === 'cancelled' && d.nextAttemptAt === null));
    assert.ok(countTimers() <= timersBefore - 2, 'both retry timers were cleared');
  });

  test('options are validated without echoing secrets', async () => {
    await assert.rejects(startClerkStandIn({ secretKey: '' }), (error: unknown) => {
      assert.ok(error instanceof ClerkStandInOptionsError);
      assert.match(error.message, /options\.secretKey/);
      return true;
    });
    const notASecret = 'not-a-svix-secret-value';
    await assert.rejects(
      startClerkStandIn({ secretKey: SECRET_KEY, webhooks: [{ url: 'ftp://x', signingSecret: notASecret }] }),
      (error: unknown) => {
        assert.ok(error instanceof ClerkStandInOptionsError);
        assert.match(error.message, /webhooks\.0\.url/);
        assert.match(error.message, /webhooks\.0\.signingSecret/);
        assert.ok(!error.message.includes(notASecret));
        return true;
      },
    );
  });
});

function countTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
