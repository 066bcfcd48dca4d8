/**
 * Fuzzing the webhook receiver over real HTTP against the real Temporal dev server: random and hostile bodies,
 * headers, signatures and encodings. Every answer must be a documented status with the documented error shape,
 * nothing may crash it, and the only workflows on the test's task queue are those of events that were valid.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'svix';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { workflowIdsOnTaskQueue } from '../helpers/workflows.js';
import { fuzzRuns, fuzzSeed } from './runs.js';

const MAX_BODY_BYTES = 16 * 1024;
const VALID_USER_ID = /^user_[A-Za-z0-9]{1,51}$/; // tenant_user_… fits 63 bytes
/** Statuses the contract documents for POST /webhooks/clerk (503 only when Temporal is down: not here). */
const DOCUMENTED = new Set([200, 202, 400, 401, 413]);

/** Clerk's webhook event types (its dashboard's list); only user.created and user.deleted are handled. */
const CLERK_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'session.created',
  'session.ended',
  'session.removed',
  'session.revoked',
  'session.pending',
  'email.created',
  'sms.created',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organizationMembership.created',
  'organizationMembership.updated',
  'organizationMembership.deleted',
  'organizationInvitation.created',
  'organizationInvitation.accepted',
  'organizationInvitation.revoked',
  'organizationDomain.created',
  'role.created',
  'permission.created',
  'waitlistEntry.created',
  'subscription.created',
  'paymentAttempt.created',
];

type Headers = Record<string, string | string[]>;
interface Answer {
  status: number;
  contentType: string;
  text: string;
}
/** What the oracle allows for one request: statuses, error codes, and the workflow it must or may start. */
interface Expectation {
  statuses: number[];
  codes?: string[];
  mustStart?: string;
  mayStart?: string;
}
interface Case {
  body: Buffer;
  headers: Headers;
  expect: Expectation;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** A raw request with node:http: repeated headers and arbitrary bytes go out exactly as given. */
function send(
  url: string,
  method: string,
  body: Buffer | undefined,
  headers: Headers,
  chunked = false,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body && chunked) {
      // Without a Content-Length: the receiver must enforce its limit on the stream itself.
      for (let i = 0; i < body.length; i += 1024) req.write(body.subarray(i, i + 1024));
      req.end();
    } else req.end(body);
  });
}

let counter = 0;
/** A valid Clerk user id no other case uses, so its workflow (if any) is traceable to its case. */
const freshUserId = () => `user_fz${(counter++).toString(36)}x${randomBytes(6).toString('hex')}`;

const jsonExtras = fc.dictionary(
  fc
    .string({ maxLength: 12 })
    .filter(
      (k) => !['id', 'object', 'deleted', 'unsafe_metadata', 'public_metadata', 'created_at', '__proto__'].includes(k),
    ),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 6 },
);
/** Strings hostile to a parser or a workflow id: unicode, control characters, huge, path-like, SQL-like. */
const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ maxLength: 40 }).map((s) => `user_${s}`),
  fc.constantFrom(
    'user_',
    'user_../../etc',
    "user_a'; DROP TABLE x;--",
    'user_a b',
    'USER_abc',
    'user_ä',
    'user_\u0000a',
  ),
  fc.integer({ min: 65, max: 20_000 }).map((n) => `user_${'a'.repeat(n)}`),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `user_${'😀'.repeat(n)}`),
);
const invalidUserId = fc.oneof(
  hostileString.filter((s) => !VALID_USER_ID.test(s)),
  fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  ),
);
const clientIp = fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 64 }), fc.constant(undefined));
const region = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('eu-central-1', 'us-east-1', 'eu'),
  fc.jsonValue({ maxDepth: 1 }),
);
const eventTimestamp = fc.oneof(
  fc.nat(),
  fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
  fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
);

function envelope(
  type: unknown,
  data: unknown,
  timestamp: unknown,
  ip: string | undefined,
  extra: Record<string, unknown> = {},
) {
  return {
    object: 'event',
    type,
    timestamp,
    instance_id: 'ins_fuzz',
    event_attributes: { http_request: { ...(ip === undefined ? {} : { client_ip: ip }), user_agent: 'fuzz' } },
    data,
    ...extra,
  };
}

const createdData = (userId: unknown, extras: Record<string, unknown>, requested: unknown) => ({
  ...extras,
  id: userId,
  object: 'user',
  unsafe_metadata: requested === undefined ? {} : { region: requested },
  public_metadata: {},
  created_at: 1_716_883_200_000,
});
const deletedData = (userId: unknown, extras: Record<string, unknown>) => ({
  ...extras,
  id: userId,
  object: 'user',
  deleted: true,
});

/** A body as Clerk would sign it, with what the receiver must do with it (before size and signature). */
interface Payload {
  body: Buffer;
  expect: Expectation;
}
const payload = (value: unknown, expect: Expectation): Payload => ({
  body: Buffer.from(JSON.stringify(value)),
  expect,
});
const accept = (workflowId: string): Expectation => ({ statuses: [202], mustStart: workflowId });
const ignored: Expectation = { statuses: [200] };
const refused = (...codes: string[]): Expectation => ({ statuses: [400], codes });

const validCreated = fc.tuple(jsonExtras, region, eventTimestamp, clientIp).map(([extras, requested, ts, ip]) => {
  const userId = freshUserId();
  return payload(
    envelope('user.created', createdData(userId, extras, requested), ts, ip),
    accept(`provision-db-${userId}`),
  );
});
const validDeleted = fc.tuple(jsonExtras, eventTimestamp, clientIp).map(([extras, ts, ip]) => {
  const userId = freshUserId();
  return payload(envelope('user.deleted', deletedData(userId, extras), ts, ip), accept(`deprovision-db-${userId}`));
});
const unhandled = fc
  .tuple(
    fc.oneof(fc.constantFrom(...CLERK_EVENT_TYPES), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })),
    fc.jsonValue({ maxDepth: 3 }),
    eventTimestamp,
  )
  .filter(([type]) => type !== 'user.created' && type !== 'user.deleted')
  .map(([type, data, ts]) => payload(envelope(type, data, ts, undefined), ignored));

/** A handled event with exactly one thing wrong: refused with invalid_payload. */
const brokenHandled = fc.oneof(
  fc
    .tuple(fc.constantFrom('user.created', 'user.deleted'), invalidUserId, jsonExtras)
    .map(([type, id, extras]) =>
      payload(
        envelope(
          type,
          type === 'user.created' ? createdData(id, extras, undefined) : deletedData(id, extras),
          1,
          undefined,
        ),
        refused('invalid_payload'),
      ),
    ),
  fc
    .tuple(
      fc.constantFrom<[string, string]>(
        ['', 'object'],
        ['data', 'object'],
        ['data', 'deleted'],
        ['', 'timestamp'],
        ['', 'type'],
      ),
      fc.jsonValue({ maxDepth: 1 }),
    )
    .map(([[where, field], value]) => {
      const userId = freshUserId();
      const event = envelope(
        where === 'data' && field === 'deleted' ? 'user.deleted' : 'user.created',
        deletedData(userId, {}),
        1,
        undefined,
      ) as Record<string, unknown>;
      const target = (where === 'data' ? event.data : event) as Record<string, unknown>;
      const ok = (v: unknown) =>
        field === 'object'
          ? v === (where === 'data' ? 'user' : 'event')
          : field === 'deleted'
            ? v === true
            : field === 'timestamp'
              ? typeof v === 'number' && v >= 0
              : typeof v === 'string' && v.length > 0;
      target[field] = ok(value) ? '__wrong__' : value;
      if (field === 'type' && target[field] === '__wrong__') target[field] = 42;
      return payload(event, refused('invalid_payload'));
    }),
  fc.string({ minLength: 65, maxLength: 300 }).map((ip) => {
    const userId = freshUserId();
    return payload(envelope('user.created', createdData(userId, {}, undefined), 1, ip), refused('invalid_payload'));
  }),
  fc
    .constantFrom(null, 'user_abc', 42, [], true)
    .map((data) => payload(envelope('user.created', data, 1, undefined), refused('invalid_payload'))),
);

/** Anything that parses as JSON: never a workflow (a random value is never a complete event). */
const randomJson = fc.jsonValue({ maxDepth: 6 }).map((v) => ({
  body: Buffer.from(JSON.stringify(v) ?? 'null'),
  expect: { statuses: [200, 400], codes: ['invalid_payload'] },
}));
const notJson = fc.oneof(
  fc
    .tuple(validCreated, fc.nat())
    .map(([p, cut]) => ({ body: p.body.subarray(0, cut % p.body.length), expect: refused('invalid_json') })),
  fc
    .uint8Array({ maxLength: 2048 })
    .map((bytes) => ({ body: Buffer.from(bytes), expect: refused('invalid_json', 'invalid_payload') })),
  fc
    .string({ unit: 'binary', maxLength: 500 })
    .map((s) => ({ body: Buffer.from(s), expect: refused('invalid_json', 'invalid_payload') })),
);
/** Nesting thousands deep: inside the metadata of a valid event (accepted) or as the whole body (refused). */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean(), fc.boolean())
  .map(([depth, asObject, insideEvent]): Payload => {
    const nested = asObject
      ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
      : `${'['.repeat(depth)}${']'.repeat(depth)}`;
    if (!insideEvent) return { body: Buffer.from(nested), expect: refused('invalid_payload') };
    const userId = freshUserId();
    const marker = '"__deep__"';
    const text = JSON.stringify(
      envelope('user.created', createdData(userId, { nested: '__deep__' }, undefined), 1, undefined),
    ).replace(marker, nested);
    return { body: Buffer.from(text), expect: accept(`provision-db-${userId}`) };
  });
/** Duplicate keys: JSON.parse keeps the last one, and so must the verdict. */
const duplicateKeys = fc.tuple(fc.constantFrom('type', 'id'), fc.boolean()).map(([key, validLast]): Payload => {
  const userId = freshUserId();
  const event = envelope('user.created', createdData(userId, {}, undefined), 1, undefined);
  let text = JSON.stringify(event);
  if (key === 'type') {
    const last = validLast ? 'user.created' : 'session.created';
    text = `${text.slice(0, -1)},"type":${JSON.stringify(last)}}`;
    return {
      body: Buffer.from(text.replace('"type":"user.created"', '"type":"user.deleted"')),
      expect: validLast ? accept(`provision-db-${userId}`) : ignored,
    };
  }
  const other = validLast ? userId : 'user_../x';
  text = text.replace(
    `"id":"${userId}"`,
    `"id":${JSON.stringify(validLast ? 'user_../x' : userId)},"id":${JSON.stringify(other)}`,
  );
  return { body: Buffer.from(text), expect: validLast ? accept(`provision-db-${userId}`) : refused('invalid_payload') };
});
const oversized = fc.tuple(validCreated, fc.integer({ min: 1, max: 3 * MAX_BODY_BYTES })).map(([p, extra]) => {
  const text = p.body
    .toString()
    .replace('"instance_id":"ins_fuzz"', `"instance_id":"${'x'.repeat(MAX_BODY_BYTES + extra)}"`);
  return { body: Buffer.from(text), expect: { statuses: [413], codes: ['payload_too_large'] } };
});

/** Counterexamples print the body as text (cut short), not as a byte array. */
const printable = (p: Payload): Payload =>
  Object.assign(p, {
    [fc.toStringMethod]: () =>
      `${JSON.stringify(p.body.toString('utf8').slice(0, 600))} (${p.body.length} bytes) → ${JSON.stringify(p.expect)}`,
  });

const anyPayload: fc.Arbitrary<Payload> = fc
  // Valid events are the controls (each costs a workflow start); the rest is what is being fuzzed.
  .oneof(
    validCreated,
    validDeleted,
    { arbitrary: unhandled, weight: 2 },
    { arbitrary: brokenHandled, weight: 4 },
    { arbitrary: randomJson, weight: 3 },
    { arbitrary: notJson, weight: 4 },
    { arbitrary: deep, weight: 2 },
    duplicateKeys,
    oversized,
  )
  .map(printable);

/** A body is too large before anything else is looked at. */
const sized = (body: Buffer, expect: Expectation): Expectation =>
  body.length > MAX_BODY_BYTES ? { statuses: [413], codes: ['payload_too_large'] } : expect;

describe('receiver fuzz: documented answers only, no crash, no workflow for anything invalid', () => {
  let p: Pipeline;
  let secret: string;
  const mustStart = new Set<string>();
  const mayStart = new Set<string>();
  const seen = new Map<number, number>();
  let requests = 0;

  const sign = (
    body: Buffer,
    { at = new Date(), id = `msg_${randomBytes(9).toString('hex')}`, key = secret } = {},
  ) => ({
    'svix-id': id,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': new Webhook(key).sign(id, at, body),
  });

  /** Sends one case and checks its answer against the oracle and the contract's shape. */
  async function check({ body, headers, expect }: Case, chunked = false): Promise<void> {
    const answer = await send(p.webhookUrl, 'POST', body, headers, chunked);
    requests++;
    seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
    const where = `${answer.status} ${answer.text.slice(0, 300)}`;
    assert.ok(DOCUMENTED.has(answer.status), `undocumented status: ${where}`);
    assert.ok(expect.statuses.includes(answer.status), `expected ${expect.statuses.join('/')}: ${where}`);
    assert.match(answer.contentType, /^application\/json/, where);
    const parsed = JSON.parse(answer.text) as Record<string, unknown>;
    if (answer.status >= 400) {
      assert.deepEqual(Object.keys(parsed), ['error'], where);
      const error = parsed.error as Record<string, unknown>;
      assert.deepEqual(Object.keys(error).sort(), ['code', 'message'], where);
      assert.equal(typeof error.message, 'string', where);
      assert.doesNotMatch(String(error.message), /\n\s+at |node_modules|\.ts:\d+/, where);
      if (expect.codes)
        assert.ok(expect.codes.includes(String(error.code)), `expected code ${expect.codes.join('/')}: ${where}`);
    }
    if (answer.status === 202) {
      assert.ok(expect.mustStart ?? expect.mayStart, `accepted what it should not: ${where}`);
      assert.equal(parsed.workflowId, expect.mustStart ?? expect.mayStart, where);
    }
    if (answer.status === 202 && expect.mustStart) mustStart.add(expect.mustStart);
    if (expect.mayStart) mayStart.add(expect.mayStart);
  }

  const params = (numRuns: number) => ({ numRuns, seed: fuzzSeed(), endOnFailure: true, includeErrorInReport: true });

  before(async () => {
    p = await startPipeline({
      withoutWorker: true,
      env: { WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY_BYTES), LOG_LEVEL: 'fatal' },
    });
    secret = p.secrets.signingSecret;
  });
  after(async () => {
    agent.destroy();
    await p.stop();
  });

  test('validly signed payloads of every kind get the verdict the event deserves', async () => {
    const started = Date.now();
    const runs = fuzzRuns(2000);
    await fc.assert(
      fc.asyncProperty(anyPayload, async ({ body, expect }) => {
        await check({
          body,
          headers: { 'content-type': 'application/json', ...sign(body) },
          expect: sized(body, expect),
        });
      }),
      params(runs),
    );
    console.log(`receiver/payloads: ${runs} cases in ${Date.now() - started} ms`);
  });

  /** Ways to spoil the Svix headers of a valid event; each must be refused with 401 and start nothing. */
  const spoiled = fc.oneof(
    fc.subarray(['svix-id', 'svix-timestamp', 'svix-signature'], { minLength: 1 }).map((missing) => ({ missing })),
    fc.constant({ wrongSecret: true }),
    fc.integer({ min: 310, max: 2_000_000_000 }).map((s) => ({ offsetSeconds: -s })),
    fc.integer({ min: 310, max: 2_000_000_000 }).map((s) => ({ offsetSeconds: s })),
    fc
      .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 })
      .map((v) => ({ set: { 'svix-signature': v } })),
    fc
      .constantFrom('', '-1', '1.5', 'NaN', '1e10', '99999999999999999999', ' 1', 'now')
      .map((v) => ({ set: { 'svix-timestamp': v } })),
    fc
      .string({
        minLength: 1,
        maxLength: 40,
        unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      })
      .map((v) => ({ changeId: v })),
    fc.nat().map((byte) => ({ flipByte: byte })),
    fc.constantFrom('v2', 'v1a', 'V1', 'v0').map((version) => ({ version })),
    // Node joins a repeated header with ", ": refused as a bad request before the signature is read.
    fc.constant({ repeat: 'svix-id' as const }),
  );

  test('anything not signed by our secret within ±5 min is refused (401, a repeated header 400) and starts nothing', async () => {
    const started = Date.now();
    const runs = fuzzRuns(2000);
    await fc.assert(
      fc.asyncProperty(fc.oneof(validCreated, validDeleted, notJson).map(printable), spoiled, async (valid, spoil) => {
        let body = valid.body;
        const at = 'offsetSeconds' in spoil ? new Date(Date.now() + spoil.offsetSeconds * 1000) : new Date();
        const headers: Headers = {
          'content-type': 'application/json',
          ...sign(body, { at, key: 'wrongSecret' in spoil ? `whsec_${randomBytes(24).toString('base64')}` : secret }),
        };
        if ('missing' in spoil) for (const name of spoil.missing) delete headers[name];
        if ('set' in spoil) Object.assign(headers, spoil.set);
        if ('changeId' in spoil) headers['svix-id'] = `${String(headers['svix-id'])}${spoil.changeId}`;
        let expect: Expectation = { statuses: [401], codes: ['invalid_signature'] };
        if ('flipByte' in spoil) {
          body = Buffer.from(body);
          const at = spoil.flipByte % Math.max(1, body.length);
          if (body.length > 0) body[at] = body[at]! ^ 0x01;
          // svix signs and checks the body as UTF-8 text: two invalid byte sequences that both decode to U+FFFD
          // sign the same. The receiver reads the same text, so it acts on exactly what was signed.
          if (body.toString('utf8') === valid.body.toString('utf8')) expect = valid.expect;
        }
        if ('version' in spoil)
          headers['svix-signature'] = String(headers['svix-signature']).replace(/^v1,/, `${spoil.version},`);
        if ('repeat' in spoil) {
          headers[spoil.repeat] = [String(headers[spoil.repeat]), String(headers[spoil.repeat])];
          expect = refused('repeated_header');
        }
        await check({ body, headers, expect: sized(body, expect) });
      }),
      params(runs),
    );
    console.log(`receiver/signatures: ${runs} cases in ${Date.now() - started} ms`);
  });

  /** Transport oddities around a valid event: the verdict depends on the signed bytes only. */
  const transport = fc.oneof(
    fc
      .record({
        contentType: fc.option(
          fc.oneof(
            fc.constantFrom(
              'text/plain',
              'application/json; charset=utf-16',
              'application/x-www-form-urlencoded',
              'multipart/form-data; boundary=x',
              'application/octet-stream',
              '',
            ),
            fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
          ),
        ),
      })
      .map((t) => ({ kind: 'contentType' as const, ...t })),
    fc.constantFrom('utf16le', 'bom', 'latin1').map((encoding) => ({ kind: 'encoding' as const, encoding })),
    fc.constantFrom('first', 'second').map((valid) => ({ kind: 'repeatedSignature' as const, valid })),
    fc.constant({ kind: 'repeatedTimestamp' as const }),
    fc.constant({ kind: 'chunked' as const }),
    fc
      .constantFrom('gzip-signed-raw', 'gzip-signed-decoded', 'gzip-garbage', 'unknown')
      .map((how) => ({ kind: 'contentEncoding' as const, how })),
  );

  test('content types, encodings, repeated headers and chunked bodies: verdict from the signed bytes only', async () => {
    const started = Date.now();
    const runs = fuzzRuns(1500);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(validCreated, validDeleted, { arbitrary: unhandled, weight: 3 }, oversized).map(printable),
        transport,
        async (valid, t) => {
          const expect = sized(valid.body, valid.expect);
          if (t.kind === 'contentType') {
            const headers: Headers = sign(valid.body);
            if (t.contentType !== null) headers['content-type'] = t.contentType;
            return check({ body: valid.body, headers, expect });
          }
          if (t.kind === 'chunked') return check({ body: valid.body, headers: sign(valid.body), expect }, true);
          // A repeated svix-* header is refused whatever its copies hold: Node would join them into one value.
          if (t.kind === 'repeatedSignature') {
            const headers: Headers = sign(valid.body);
            const garbage = `v1,${randomBytes(32).toString('base64')}`;
            const real = String(headers['svix-signature']);
            headers['svix-signature'] = t.valid === 'first' ? [real, garbage] : [garbage, real];
            return check({ body: valid.body, headers, expect: sized(valid.body, refused('repeated_header')) });
          }
          if (t.kind === 'repeatedTimestamp') {
            const headers: Headers = sign(valid.body);
            headers['svix-timestamp'] = [String(headers['svix-timestamp']), String(headers['svix-timestamp'])];
            return check({ body: valid.body, headers, expect: sized(valid.body, refused('repeated_header')) });
          }
          if (t.kind === 'encoding') {
            // The same event re-encoded, signed as sent: JSON must be UTF-8, so UTF-16 and a BOM are not JSON;
            // Latin-1 of an ASCII-only event is the same bytes.
            const text = valid.body.toString('utf8').replace('"user_agent":"fuzz"', '"user_agent":"fuzz-é"');
            const body =
              t.encoding === 'utf16le'
                ? Buffer.from(text, 'utf16le')
                : t.encoding === 'bom'
                  ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
                  : Buffer.from(text, 'latin1');
            // Latin-1 keeps an ASCII event's bytes (é becomes one invalid byte, read as U+FFFD); other text gets mangled.
            const ascii = /^[\x20-\x7e]*$/.test(valid.body.toString('utf8'));
            const mangled: Expectation = { statuses: [200, 202, 400], mayStart: valid.expect.mustStart };
            const expected = t.encoding !== 'latin1' ? refused('invalid_json') : ascii ? valid.expect : mangled;
            return check({
              body,
              headers: { 'content-type': 'application/json', ...sign(body) },
              expect: sized(body, expected),
            });
          }
          // Clerk never compresses; a Content-Encoding the receiver cannot or will not decode is a bad request.
          const compressed = t.how === 'gzip-garbage' ? valid.body : gzipSync(valid.body);
          const signedOver = t.how === 'gzip-signed-decoded' ? valid.body : compressed;
          const headers: Headers = {
            'content-type': 'application/json',
            'content-encoding': t.how === 'unknown' ? 'x-fuzz' : 'gzip',
            ...sign(signedOver),
          };
          const statuses = t.how === 'gzip-signed-decoded' ? [...expect.statuses, 400] : [400, 401, 413];
          return check({ body: compressed, headers, expect: { statuses, mayStart: expect.mustStart } });
        },
      ),
      params(runs),
    );
    console.log(`receiver/transport: ${runs} cases in ${Date.now() - started} ms`);
  });

  test('regression: a Content-Encoding it cannot decode is a 400 invalid_payload, not an undocumented 415', async () => {
    const body = Buffer.from('{}');
    await check({
      body,
      headers: { 'content-type': 'application/json', 'content-encoding': 'x-fuzz', ...sign(body) },
      expect: refused('invalid_payload'),
    });
  });

  test('the receiver still answers, and the task queue holds exactly the workflows of valid events', async () => {
    const health = await send(`${p.receiver.url}/healthz`, 'GET', undefined, {});
    assert.equal(health.status, 200);
    console.log(`receiver: ${requests} requests, statuses ${JSON.stringify(Object.fromEntries(seen))}`);
    assert.ok(mustStart.size > 0, 'no valid event was accepted: the oracle is broken');
    const listed = await eventually(async () => {
      const ids = new Set(await workflowIdsOnTaskQueue(p.temporal.client, p.config.temporal.taskQueue));
      return [...mustStart].every((id) => ids.has(id)) ? ids : undefined;
    }, 'every accepted workflow in visibility');
    const unexpected = [...listed].filter((id) => !mustStart.has(id) && !mayStart.has(id));
    assert.deepEqual(unexpected, []);
  });
});
