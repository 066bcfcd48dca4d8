import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import express from 'express';
import { Webhook } from 'svix';
import { createWebhookVerifier } from '../../src/webhook/hookdeck.js';

test('over real HTTP, the verifier sees the raw bytes and headers as Hookdeck forwards them', async () => {
  const svixSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const hookdeckSecret = randomBytes(16).toString('hex');
  const verify = createWebhookVerifier({ svixSecret, hookdeckSecret, requireHookdeck: true });
  const app = express();
  app.post('/webhooks/clerk', express.raw({ type: () => true }), (req, res) => {
    const verdict = verify(req.body as Buffer, req.headers);
    res.status(verdict.ok ? 200 : 401).json(verdict);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/clerk`;
  try {
    const raw = '{"type":"user.created", "data":{"id":"user_abc"}}';
    const id = 'msg_1';
    const now = new Date();
    const headers = {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
      'svix-signature': new Webhook(svixSecret).sign(id, now, raw),
      'X-Hookdeck-Signature': createHmac('sha256', hookdeckSecret).update(raw).digest('base64'),
      'X-Hookdeck-Verified': 'true',
    };
    const ok = await fetch(url, { method: 'POST', headers, body: raw });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true, via: 'hookdeck+svix' });

    // The same JSON re-serialised (whitespace only) is a different body: refused.
    const reserialised = await fetch(url, { method: 'POST', headers, body: JSON.stringify(JSON.parse(raw)) });
    assert.equal(reserialised.status, 401);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
