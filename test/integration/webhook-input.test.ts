import assert from 'node:assert/strict';
import { request } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { sampleSum, scrape } from '../helpers/metrics.js';
import {
  capturedLogs,
  eventually,
  newUserId,
  startPipeline,
  userCreatedEvent,
  type Pipeline,
} from '../helpers/pipeline.js';
import { provisioningExists, workflowExists, workflowIdsOnTaskQueue } from '../helpers/workflows.js';

const MAX_BODY_BYTES = 4096;

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };

/** The documented error answer: JSON `{ error: { code, message } }` and nothing else, no stack trace. */
function assertError(answer: Answer, status: number, code: string, messagePart?: RegExp) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(answer.body), ['error']);
  const error = answer.body.error as Record<string, unknown>;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message']);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.doesNotMatch(String(error.message), /\n\s+at |node_modules|\.ts:\d+/);
  if (messagePart) assert.match(String(error.message), messagePart);
}

/** A raw POST to the receiver: exactly these headers and this body. */
async function post(p: Pipeline, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(p.webhookUrl, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** A request with node:http, to `path` exactly as given (fetch would normalise it), with a JSON answer. */
function raw(p: Pipeline, method: string, path: string, headers: Record<string, string>, body?: Buffer | string) {
  const { hostname, port } = new URL(p.receiver.url);
  return new Promise<Answer>((resolve, reject) => {
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ hostname, port, method, path, headers: { ...length, ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value) answerHeaders.set(name, String(value));
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, body: text ? JSON.parse(text) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('webhook input: every refusal has the documented status and shape, and starts nothing', () => {
  let p: Pipeline;
  /** User ids carried by refused or ignored events: none may get a workflow. */
  const refusedUserIds: string[] = [];
  const refused = (userId = newUserId()) => {
    refusedUserIds.push(userId);
    return userId;
  };
  /** A user.created event for a refused user id, padded past WEBHOOK_MAX_BODY_BYTES. */
  const oversizedEvent = () =>
    userCreatedEvent(refused(), { unsafe_metadata: { padding: 'x'.repeat(MAX_BODY_BYTES) } });
  /** JSON headers with Svix's signature over `body`, and any others given. */
  const signedJson = (body: string, more: Record<string, string> = {}) => ({
    'content-type': 'application/json',
    ...more,
    ...p.signHeaders(body),
  });

  before(async () => {
    p = await startPipeline({ env: { WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY_BYTES), WEBHOOK_METRICS_PORT: '0' } });
  });
  after(async () => {
    await p.stop();
  });

  test('a valid event is accepted and starts its workflow (the control for every check below)', async () => {
    const userId = newUserId();
    const answer = await p.postEvent(userCreatedEvent(userId));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body.workflowId, `provision-db-${userId}`);
    // Nothing revalidates a webhook answer: no ETag is computed for it.
    assert.equal(answer.headers.get('etag'), null);
    assert.equal(await provisioningExists(p.temporal.client, userId), true);
  });

  test('a signature made with another secret → 401 invalid_signature', async () => {
    const userId = refused();
    const answer = await p.postEvent(userCreatedEvent(userId), {
      headers: { 'svix-signature': 'v1,' + Buffer.from('not the signature of this body').toString('base64') },
    });
    assertError(answer, 401, 'invalid_signature');
  });

  test('no svix headers at all → 401 invalid_signature', async () => {
    const userId = refused();
    const answer = await post(p, JSON.stringify(userCreatedEvent(userId)), { 'content-type': 'application/json' });
    assertError(answer, 401, 'invalid_signature');
  });

  test('each svix header missing on its own → 401', async () => {
    const body = JSON.stringify(userCreatedEvent(refused()));
    const signed = p.signHeaders(body);
    for (const missing of ['svix-id', 'svix-timestamp', 'svix-signature'] as const) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...signed };
      delete headers[missing];
      assertError(await post(p, body, headers), 401, 'invalid_signature');
    }
  });

  test('correctly signed but 6 minutes old (replay outside ±5 min) → 401; 6 minutes ahead → 401', async () => {
    for (const offsetMs of [-6 * 60_000, 6 * 60_000]) {
      const svixId = `msg_stale_${newUserId()}`;
      const signedAt = new Date(Date.now() + offsetMs);
      const answer = await p.postEvent(userCreatedEvent(refused()), { svixId, signedAt });
      // The caller learns only that the check failed; the log says which one.
      assertError(answer, 401, 'invalid_signature', /^signature check failed$/);
      const line = capturedLogs.find((l) => l.includes(svixId) && l.includes('webhook refused: signature'));
      assert.match(line ?? '', /"check":"timestamp"/);
    }
  });

  test('a forged signature → 401 with no detail; the log names the svix check', async () => {
    const svixId = `msg_forged_${newUserId()}`;
    const answer = await p.postEvent(userCreatedEvent(refused()), {
      svixId,
      headers: { 'svix-signature': 'v1,Zm9yZ2Vk' },
    });
    assertError(answer, 401, 'invalid_signature', /^signature check failed$/);
    const line = capturedLogs.find((l) => l.includes(svixId) && l.includes('webhook refused: signature'));
    assert.match(line ?? '', /"check":"svix"/);
  });

  test('a body changed after signing → 401', async () => {
    const original = JSON.stringify(userCreatedEvent(refused()));
    const tampered = JSON.stringify(userCreatedEvent(refused()));
    const headers = signedJson(original);
    assertError(await post(p, tampered, headers), 401, 'invalid_signature');
  });

  test('validly signed malformed JSON → 400 invalid_json', async () => {
    const answer = await p.postEvent(null, { body: '{"type":"user.created","data":{"id":' });
    assertError(answer, 400, 'invalid_json');
  });

  test('validly signed events with missing or wrong fields → 400 invalid_payload naming the field', async () => {
    const withoutId = userCreatedEvent('user_x') as { data: Record<string, unknown> };
    delete withoutId.data.id;
    assertError(await p.postEvent(withoutId), 400, 'invalid_payload', /data\.id/);

    // Would become workflow id "provision-db-user_../../etc": refused before it gets near Temporal.
    const badId = 'user_../../etc';
    refusedUserIds.push(badId);
    assertError(await p.postEvent(userCreatedEvent(badId)), 400, 'invalid_payload', /data\.id/);

    const { type: _type, ...withoutType } = userCreatedEvent(refused());
    assertError(await p.postEvent(withoutType), 400, 'invalid_payload', /type/);

    const notAnObject = { ...userCreatedEvent(refused()), data: 'user_abc' };
    assertError(await p.postEvent(notAnObject), 400, 'invalid_payload', /data/);
  });

  test(`a body over WEBHOOK_MAX_BODY_BYTES (${MAX_BODY_BYTES}) → 413 payload_too_large, even validly signed`, async () => {
    assertError(await p.postEvent(oversizedEvent()), 413, 'payload_too_large', new RegExp(String(MAX_BODY_BYTES)));
  });

  test('an event type we do not handle → 200 ignored', async () => {
    const userId = refused();
    const event = { ...userCreatedEvent(userId), type: 'user.updated' };
    const answer = await p.postEvent(event);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'ignored', eventType: 'user.updated' });
  });

  /** An event the receiver ignores (200), for a refused user id: a delivery that reached the handler. */
  const ignoredEvent = () => JSON.stringify({ ...userCreatedEvent(refused()), type: 'user.updated' });

  test('a body compressed by the sender is read decoded (gzip, deflate); one it cannot decode → 400', async () => {
    const body = ignoredEvent();
    for (const [encoding, compressed] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
    ] as const) {
      const headers = signedJson(body, { 'content-encoding': encoding });
      const answer = await raw(p, 'POST', '/webhooks/clerk', headers, compressed);
      assert.equal(answer.status, 200, `${encoding}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body, { status: 'ignored', eventType: 'user.updated' });
    }
    const headers = signedJson(body, { 'content-encoding': 'gzip' });
    assertError(await raw(p, 'POST', '/webhooks/clerk', headers, body), 400, 'invalid_payload');
  });

  test("the route's answers are JSON with a length and nothing of the page: no security headers, no X-Powered-By", async () => {
    const answers = [
      await p.postEvent(null, { body: ignoredEvent() }),
      await post(p, ignoredEvent(), { 'content-type': 'application/json' }),
      await p.postEvent(oversizedEvent()),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 401, 413],
    );
    for (const answer of answers) {
      assert.equal(answer.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(Number(answer.headers.get('content-length')), Buffer.byteLength(JSON.stringify(answer.body)));
      for (const name of ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'x-powered-by']) {
        assert.equal(answer.headers.get(name), null, `${answer.status}: ${name}`);
      }
    }
  });

  test("the path with another method is no route: the page's 404, with its security headers", async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await raw(p, method, '/webhooks/clerk', { 'content-type': 'application/json' }, '{}');
      assertError(answer, 404, 'not_found');
      assert.equal(answer.headers.get('x-frame-options'), 'DENY', method);
    }
    const head = await fetch(p.webhookUrl, { method: 'HEAD' });
    assert.equal(head.status, 404);
  });

  test('the spellings of the path Express matches reach the webhook: a query, a trailing slash, capitals, an absolute URL', async () => {
    const { host } = new URL(p.receiver.url);
    const paths = [
      '/webhooks/clerk?source=clerk',
      '/webhooks/clerk/',
      '/webhooks/clerk/?source=clerk',
      '/WEBHOOKS/Clerk',
      `http://${host}/webhooks/clerk`,
    ];
    for (const path of paths) {
      const body = ignoredEvent();
      const headers = signedJson(body);
      const answer = await raw(p, 'POST', path, headers, body);
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body, { status: 'ignored', eventType: 'user.updated' }, path);
      assert.equal(answer.headers.get('x-frame-options'), null, path);
      assertError(await raw(p, 'POST', path, { 'content-type': 'application/json' }, body), 401, 'invalid_signature');
    }
    // What Express never matched stays a 404.
    for (const path of ['/webhooks/clerk//', '//webhooks/clerk', '/webhooks/clerk.json', '/webhooks/%63lerk']) {
      const body = ignoredEvent();
      const headers = signedJson(body);
      assertError(await raw(p, 'POST', path, headers, body), 404, 'not_found');
    }
  });

  test("every answer of the route is counted by outcome, the body reader's refusals included", async () => {
    const metricsUrl = p.receiver.metricsUrl!;
    const count = (text: string, outcome: string, status: string) =>
      sampleSum(text, 'per_user_db_webhook_requests_total', { outcome, status });
    const before = await scrape(metricsUrl);
    assert.equal((await p.postEvent(oversizedEvent())).status, 413);
    const body = ignoredEvent();
    const undecodable = signedJson(body, { 'content-encoding': 'x-unknown' });
    assert.equal((await raw(p, 'POST', '/webhooks/clerk', undecodable, body)).status, 400);
    assert.equal((await post(p, ignoredEvent(), { 'content-type': 'application/json' })).status, 401);
    assert.equal((await p.postEvent(null, { body: ignoredEvent() })).status, 200);
    // The same route reached through Express (a trailing slash) is counted too.
    const slashed = ignoredEvent();
    const signed = signedJson(slashed);
    assert.equal((await raw(p, 'POST', '/webhooks/clerk/', signed, slashed)).status, 200);
    const after = await scrape(metricsUrl);
    const moved = (outcome: string, status: string) => count(after, outcome, status) - count(before, outcome, status);
    assert.deepEqual(
      [
        moved('too_large', '413'),
        moved('invalid_payload', '400'),
        moved('invalid_signature', '401'),
        moved('ignored', '200'),
      ],
      [1, 1, 1, 2],
    );
  });

  test('no refused or ignored event started a workflow', async () => {
    assert.ok(refusedUserIds.length >= 10);
    for (const userId of refusedUserIds) {
      assert.equal(await provisioningExists(p.temporal.client, userId), false, userId);
    }
    // Visibility lags: wait until it lists the control's run, then nothing else may be on the task queue.
    const ids = await eventually(async () => {
      const found = await workflowIdsOnTaskQueue(p.temporal.client, p.config.temporal.taskQueue);
      return found.length > 0 ? found : undefined;
    }, 'the control workflow in visibility');
    assert.equal(ids.length, 1, ids.join(', '));
    assert.equal(await workflowExists(p.temporal.client, ids[0]!), true);
  });

  test('/healthz and /readyz answer 200 while Temporal is up', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${p.receiver.url}${path}`);
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
    }
  });

  test('status API: no session → 401; a malformed user id → 400; another user → 403 (all JSON errors)', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`input-${Date.now()}@example.com`] });
    const headers = await p.authHeaders(user.id);
    const get = async (userId: string, init: RequestInit = { headers }): Promise<Answer> => {
      const res = await fetch(`${p.receiver.url}/api/users/${encodeURIComponent(userId)}/database`, init);
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    };
    assertError(await get(user.id, {}), 401, 'unauthenticated');
    assertError(await get('not-a-user'), 400, 'invalid_user_id');
    assertError(await get('user_abc; DROP TABLE x'), 400, 'invalid_user_id');
    assertError(await get(newUserId()), 403, 'forbidden');
  });

  test('the demo page keeps its ETag: express.static makes its own', async () => {
    const res = await fetch(`${p.receiver.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('etag') ?? '', /^W\//);
    await res.arrayBuffer();
  });
});
