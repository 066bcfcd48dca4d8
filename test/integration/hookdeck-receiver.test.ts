import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { newUserId, startPipeline, userCreatedEvent, type Pipeline } from '../helpers/pipeline.js';

/** What Hookdeck adds when it forwards: base64 HMAC-SHA256 of the raw body with the project's secret. */
const hookdeckSignature = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64');

describe('receiver behind Hookdeck (HOOKDECK_WEBHOOK_SECRET set)', () => {
  const hookdeckSecret = randomBytes(16).toString('hex');
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ env: { HOOKDECK_WEBHOOK_SECRET: hookdeckSecret } });
  });
  after(() => p.stop());

  async function noWorkflow(userId: string) {
    await assert.rejects(
      p.temporal.client.workflow.getHandle(`provision-db-${userId}`).describe(),
      WorkflowNotFoundError,
    );
  }

  test('a forwarded delivery with both signatures valid is accepted', async () => {
    const userId = newUserId();
    const body = JSON.stringify(userCreatedEvent(userId));
    const answer = await p.postEvent(null, {
      body,
      headers: { 'x-hookdeck-signature': hookdeckSignature(hookdeckSecret, body) },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
  });

  test('a wrong Hookdeck signature is refused even though Clerk signed the body', async () => {
    const userId = newUserId();
    const body = JSON.stringify(userCreatedEvent(userId));
    const answer = await p.postEvent(null, {
      body,
      headers: { 'x-hookdeck-signature': hookdeckSignature('other', body) },
    });
    assert.equal(answer.status, 401);
    assert.equal((answer.body.error as { code: string }).code, 'invalid_signature');
    await noWorkflow(userId);
  });

  test('during rotation the second signature header is enough', async () => {
    const body = JSON.stringify(userCreatedEvent(newUserId()));
    const answer = await p.postEvent(null, {
      body,
      headers: {
        'x-hookdeck-signature': hookdeckSignature('retired-secret', body),
        'x-hookdeck-signature-2': hookdeckSignature(hookdeckSecret, body),
      },
    });
    assert.equal(answer.status, 202);
  });

  test('direct Svix deliveries (no Hookdeck header) still work unless Hookdeck is required', async () => {
    const answer = await p.postEvent(userCreatedEvent(newUserId()));
    assert.equal(answer.status, 202);
  });
});
