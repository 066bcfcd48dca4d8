import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { verifyWebhookSignature } from '@hookdeck/sdk/webhooks/index.js';
import { Webhook } from 'svix';
import { createWebhookVerifier, type WebhookHeaders } from '../../src/webhook/hookdeck.js';

const svixSecret = `whsec_${randomBytes(24).toString('base64')}`;
const hookdeckSecret = randomBytes(16).toString('hex');
const body = Buffer.from(
  JSON.stringify({ type: 'user.created', data: { id: `user_${randomBytes(6).toString('hex')}` } }),
);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Independent of the code under test: HMAC-SHA256 of the raw body, base64, as Hookdeck documents it. */
const hookdeckSign = (raw: Buffer, secret = hookdeckSecret) =>
  createHmac('sha256', secret).update(raw).digest('base64');

function svixHeaders(raw: Buffer, atSeconds = nowSeconds()): WebhookHeaders {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  return {
    'svix-id': id,
    'svix-timestamp': String(atSeconds),
    'svix-signature': new Webhook(svixSecret).sign(id, new Date(atSeconds * 1000), raw),
  };
}

const viaHookdeck = (raw: Buffer, extra: WebhookHeaders = {}): WebhookHeaders => ({
  ...svixHeaders(raw),
  'x-hookdeck-signature': hookdeckSign(raw),
  'x-hookdeck-verified': 'true',
  ...extra,
});

describe('createWebhookVerifier with a Hookdeck secret', () => {
  const verify = createWebhookVerifier({ svixSecret, hookdeckSecret });

  test('our test signature is what Hookdeck’s own SDK accepts (same header format)', async () => {
    const headers = { 'x-hookdeck-signature': hookdeckSign(body) };
    const sdk = await verifyWebhookSignature({
      headers,
      rawBody: body.toString('utf8'),
      signingSecret: hookdeckSecret,
    });
    assert.equal(sdk.isValidSignature, true);
  });

  test('valid Hookdeck signature and valid forwarded Svix headers pass as hookdeck+svix', () => {
    assert.deepEqual(verify(body, viaHookdeck(body)), { ok: true, via: 'hookdeck+svix' });
  });

  test('a tampered body fails the Hookdeck check', () => {
    const headers = viaHookdeck(body);
    const tampered = Buffer.from(body.toString('utf8').replace('user.created', 'user.deleted'));
    const verdict = verify(tampered, headers);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /Hookdeck signature does not match/);
  });

  test('a signature made with another secret is refused', () => {
    const verdict = verify(body, viaHookdeck(body, { 'x-hookdeck-signature': hookdeckSign(body, 'other-secret') }));
    assert.deepEqual(verdict, { ok: false, check: 'hookdeck', reason: 'Hookdeck signature does not match' });
  });

  test('during rotation, a match in x-hookdeck-signature-2 passes; neither matching is refused', () => {
    const rotated = viaHookdeck(body, {
      'x-hookdeck-signature': hookdeckSign(body, 'the-old-secret'),
      'x-hookdeck-signature-2': hookdeckSign(body),
    });
    assert.deepEqual(verify(body, rotated), { ok: true, via: 'hookdeck+svix' });
    const primaryOnly = viaHookdeck(body, { 'x-hookdeck-signature-2': hookdeckSign(body, 'the-new-secret') });
    assert.deepEqual(verify(body, primaryOnly), { ok: true, via: 'hookdeck+svix' });
    const neither = viaHookdeck(body, {
      'x-hookdeck-signature': hookdeckSign(body, 'a'),
      'x-hookdeck-signature-2': hookdeckSign(body, 'b'),
    });
    assert.equal(verify(body, neither).ok, false);
  });

  test('malformed signature headers (empty, short, not base64) are refused, never thrown', () => {
    for (const value of ['', 'abc', 'v1,xyz', hookdeckSign(body).slice(0, -1), `${hookdeckSign(body)}=`]) {
      assert.equal(verify(body, viaHookdeck(body, { 'x-hookdeck-signature': value })).ok, false, value);
    }
  });

  test('valid Hookdeck signature but a bad Svix signature is refused: Clerk’s signature is still checked', () => {
    const headers = viaHookdeck(body);
    const forged = { ...headers, 'svix-signature': `v1,${randomBytes(32).toString('base64')}` };
    const verdict = verify(body, forged);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /Svix \(via Hookdeck\): No matching signature/);
  });

  test('any svix-* header counts as present: stripping some of them does not skip the Svix check', () => {
    const { 'svix-signature': _dropped, ...partial } = viaHookdeck(body);
    assert.equal(verify(body, partial).ok, false);
  });

  test('Hookdeck retries keep the original Svix timestamp: 10 min old passes via Hookdeck, not directly', () => {
    const tenMinutesAgo = nowSeconds() - 600;
    const forwarded = { ...svixHeaders(body, tenMinutesAgo), 'x-hookdeck-signature': hookdeckSign(body) };
    assert.deepEqual(verify(body, forwarded), { ok: true, via: 'hookdeck+svix' });
    const direct = svixHeaders(body, tenMinutesAgo);
    assert.equal(verify(body, direct).ok, false);
  });

  test('a Svix timestamp older than the Hookdeck window, or from the future, is refused', () => {
    const clock = () => 1_900_000_000;
    const windowed = createWebhookVerifier({
      svixSecret,
      hookdeckSecret,
      hookdeckSvixMaxAgeSeconds: 3600,
      nowSeconds: clock,
    });
    const at = (seconds: number) => ({ ...svixHeaders(body, seconds), 'x-hookdeck-signature': hookdeckSign(body) });
    assert.equal(windowed(body, at(clock() - 3600)).ok, true);
    assert.equal(windowed(body, at(clock() - 3601)).ok, false);
    assert.equal(windowed(body, at(clock() + 301)).ok, false);
  });

  test('Hookdeck-signed without any svix-* header is refused by default', () => {
    const headers = { 'x-hookdeck-signature': hookdeckSign(body), 'x-hookdeck-verified': 'true' };
    const verdict = verify(body, headers);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /without svix-\* headers/);
  });

  test('with acceptHookdeckWithoutSvix, it passes only when Hookdeck reports x-hookdeck-verified: true', () => {
    const lenient = createWebhookVerifier({ svixSecret, hookdeckSecret, acceptHookdeckWithoutSvix: true });
    const signed = { 'x-hookdeck-signature': hookdeckSign(body) };
    assert.deepEqual(lenient(body, { ...signed, 'x-hookdeck-verified': 'true' }), { ok: true, via: 'hookdeck' });
    assert.equal(lenient(body, { ...signed, 'x-hookdeck-verified': 'false' }).ok, false);
    assert.equal(lenient(body, signed).ok, false);
    assert.equal(
      lenient(body, { 'x-hookdeck-signature': hookdeckSign(body, 'x'), 'x-hookdeck-verified': 'true' }).ok,
      false,
    );
  });

  test('no Hookdeck header: plain Svix, unless Hookdeck is required', () => {
    assert.deepEqual(verify(body, svixHeaders(body)), { ok: true, via: 'svix' });
    const required = createWebhookVerifier({ svixSecret, hookdeckSecret, requireHookdeck: true });
    const verdict = required(body, svixHeaders(body));
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /missing x-hookdeck-signature/);
    assert.deepEqual(required(body, viaHookdeck(body)), { ok: true, via: 'hookdeck+svix' });
  });
});

describe('createWebhookVerifier without a Hookdeck secret', () => {
  const verify = createWebhookVerifier({ svixSecret });

  test('Hookdeck headers are ignored; Svix decides', () => {
    assert.deepEqual(verify(body, viaHookdeck(body)), { ok: true, via: 'svix' });
    const forged = { ...viaHookdeck(body), 'svix-signature': `v1,${randomBytes(32).toString('base64')}` };
    assert.equal(verify(body, forged).ok, false);
    assert.equal(verify(body, { 'x-hookdeck-signature': hookdeckSign(body), 'x-hookdeck-verified': 'true' }).ok, false);
  });
});
