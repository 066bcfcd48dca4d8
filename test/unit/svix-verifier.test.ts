import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Webhook, WebhookVerificationError } from 'svix';
import { createSvixVerifier, type VerifyResult } from '../../src/webhook/verify.js';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const svix = new Webhook(secret);
const other = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
const now = () => Math.floor(Date.now() / 1000);

/** The `svix` package's own verdict, in our shape: the reference our verifier must match. */
function svixVerdict(body: Buffer, headers: Record<string, string>): VerifyResult {
  try {
    svix.verify(body, headers);
    return { ok: true };
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: true }; // signature matched; the body is not JSON
    if (!(error instanceof WebhookVerificationError)) throw error;
    return { ok: false, check: /timestamp/i.test(error.message) ? 'timestamp' : 'svix', reason: error.message };
  }
}

const json = Buffer.from(JSON.stringify({ type: 'user.created', data: { id: 'user_2abc' } }));
const signed = (body: Buffer, at = now(), id = 'msg_1', by = svix) => ({
  'svix-id': id,
  'svix-timestamp': String(at),
  'svix-signature': by.sign(id, new Date(at * 1000), body),
});

const cases: Array<[string, Buffer, Record<string, string>]> = [
  ['valid', json, signed(json)],
  ['tampered body', Buffer.from(`${json.toString()} `), signed(json)],
  ['another secret', json, signed(json, now(), 'msg_1', other)],
  [
    'one of several signatures (rotation)',
    json,
    { ...signed(json), 'svix-signature': `v1,AAAA ${signed(json)['svix-signature']}` },
  ],
  [
    'only a v2 entry',
    json,
    { ...signed(json), 'svix-signature': signed(json)['svix-signature'].replace('v1,', 'v2,') },
  ],
  ['entry without a comma', json, { ...signed(json), 'svix-signature': 'v1' }],
  ['6 min old', json, signed(json, now() - 360)],
  ['6 min ahead', json, signed(json, now() + 360)],
  ['4 min old', json, signed(json, now() - 240)],
  ['timestamp not a number', json, { ...signed(json), 'svix-timestamp': 'soon' }],
  ['timestamp with trailing letters', json, { ...signed(json), 'svix-timestamp': `${now()}abc` }],
  ['no svix-id', json, { ...signed(json), 'svix-id': '' }],
  ['no signature', json, { ...signed(json), 'svix-signature': '' }],
  ['not JSON, signed', Buffer.from('not json'), signed(Buffer.from('not json'))],
  ['empty body, signed', Buffer.alloc(0), signed(Buffer.alloc(0))],
  [
    'bytes that are not UTF-8, signed',
    Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    signed(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
  ],
];

for (const [name, body, headers] of cases) {
  test(`Svix check agrees with the svix package: ${name}`, () => {
    assert.deepEqual(createSvixVerifier(secret)(body, headers), svixVerdict(body, headers));
  });
}
