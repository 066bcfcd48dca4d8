import { Webhook, WebhookVerificationError } from 'svix';

/** Which check refused a delivery: for the log only, the caller learns nothing but that the check failed. */
export type FailedCheck = 'svix' | 'hookdeck' | 'timestamp';

export type VerifyResult = { ok: true } | { ok: false; check: FailedCheck; reason: string };

/** svix's own messages for a timestamp outside its window ("Message timestamp too old" / "too new"). */
export const svixFailedCheck = (reason: string): FailedCheck => (/timestamp/i.test(reason) ? 'timestamp' : 'svix');

export const SVIX_HEADERS = ['svix-id', 'svix-timestamp', 'svix-signature'] as const;

/**
 * The `svix-*` headers a request carries more than once. Node joins a repeated header's values with ", ", which
 * svix would then read as one value: such a request is refused before any signature check.
 */
export function repeatedSvixHeaders(headersDistinct: Record<string, string[] | undefined>): string[] {
  return SVIX_HEADERS.filter((name) => (headersDistinct[name]?.length ?? 0) > 1);
}

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
      if (error instanceof WebhookVerificationError) {
        return { ok: false, check: svixFailedCheck(error.message), reason: error.message };
      }
      // svix parses the body only once a signature matched: a signed body that is not JSON is the caller's to refuse.
      if (error instanceof SyntaxError) return { ok: true };
      throw error;
    }
  };
}
