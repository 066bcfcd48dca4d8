import { Webhook, WebhookVerificationError } from 'svix';

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks the Svix signature over the raw body bytes (constant-time, ±5 min timestamp tolerance, any one
 * `v1` signature of several passes: all done by `svix`).
 */
export function createSvixVerifier(signingSecret: string) {
  const webhook = new Webhook(signingSecret);
  return (rawBody: Buffer, headers: Record<string, string | string[] | undefined>): VerifyResult => {
    const pick = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    try {
      webhook.verify(rawBody, {
        'svix-id': pick('svix-id') ?? '',
        'svix-timestamp': pick('svix-timestamp') ?? '',
        'svix-signature': pick('svix-signature') ?? '',
      });
      return { ok: true };
    } catch (error) {
      if (error instanceof WebhookVerificationError) return { ok: false, reason: error.message };
      // svix parses the body only once a signature matched: a signed body that is not JSON is the caller's to refuse.
      if (error instanceof SyntaxError) return { ok: true };
      throw error;
    }
  };
}
