import { createHmac, timingSafeEqual } from 'node:crypto';

/** Which check refused a delivery: for the log only, the caller learns nothing but that the check failed. */
export type FailedCheck = 'svix' | 'hookdeck' | 'timestamp';

export type VerifyResult = { ok: true } | { ok: false; check: FailedCheck; reason: string };

/** The refusal messages of the `svix` package, for a timestamp outside its window ("…too old" / "…too new"). */
export const svixFailedCheck = (reason: string): FailedCheck => (/timestamp/i.test(reason) ? 'timestamp' : 'svix');

export const SVIX_HEADERS = ['svix-id', 'svix-timestamp', 'svix-signature'] as const;

/** How far from now a direct delivery's `svix-timestamp` may be, either way (the `svix` package's window). */
const SVIX_TOLERANCE_SECONDS = 5 * 60;

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The `svix-*` headers a request carries more than once. Node joins a repeated header's values with ", ", which
 * svix would then read as one value: such a request is refused before any signature check.
 */
export function repeatedSvixHeaders(headersDistinct: Record<string, string[] | undefined>): string[] {
  return SVIX_HEADERS.filter((name) => (headersDistinct[name]?.length ?? 0) > 1);
}

/** Equal-length buffers through `timingSafeEqual`; the length itself is public (a fixed-size encoding). */
export function constantTimeEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Svix's signature: base64(HMAC-SHA256(`<svix-id>.<timestamp>.<body>`)) keyed with the secret's bytes
 * (`whsec_` + base64), the body read as UTF-8 text as the `svix` package reads it. Hashed with node:crypto:
 * the `svix` package hashes in JavaScript, which cost more CPU than the rest of a webhook's own steps together.
 */
export function svixSigner(signingSecret: string) {
  const key = Buffer.from(signingSecret.replace(/^whsec_/, ''), 'base64');
  return (id: string, timestamp: number, rawBody: Buffer): string =>
    createHmac('sha256', key)
      .update(`${id}.${timestamp}.${rawBody.toString('utf8')}`)
      .digest('base64');
}

/**
 * Whether any `v1,<signature>` entry of an `svix-signature` header (several during a secret rotation) is the
 * expected one. Every entry is compared, so the time taken does not tell which one matched.
 */
export function anySvixSignatureMatches(signatures: string, expected: string): boolean {
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const [version, signature = ''] = entry.split(',');
    if (version === 'v1' && constantTimeEquals(signature, expected)) matched = true;
  }
  return matched;
}

/**
 * Checks the Svix signature over the raw body bytes as the `svix` package's `verify` does — constant-time, ±5 min
 * timestamp tolerance, any one `v1` signature of several passes, its refusal messages — without parsing the body
 * (the receiver parses it once, after).
 */
export function createSvixVerifier(signingSecret: string, nowSeconds = () => Math.floor(Date.now() / 1000)) {
  const sign = svixSigner(signingSecret);
  const refuse = (reason: string): VerifyResult => ({ ok: false, check: svixFailedCheck(reason), reason });
  return (rawBody: Buffer, headers: WebhookHeaders): VerifyResult => {
    const id = headerValue(headers, 'svix-id');
    const timestamp = headerValue(headers, 'svix-timestamp');
    const signatures = headerValue(headers, 'svix-signature');
    if (!id || !timestamp || !signatures) return refuse('Missing required headers');
    // Read as svix reads it: leading digits, so the signed number is the one svix would sign.
    const seconds = Number.parseInt(timestamp, 10);
    if (Number.isNaN(seconds)) return refuse('Invalid Signature Headers');
    const now = nowSeconds();
    if (now - seconds > SVIX_TOLERANCE_SECONDS) return refuse('Message timestamp too old');
    if (seconds > now + SVIX_TOLERANCE_SECONDS) return refuse('Message timestamp too new');
    return anySvixSignatureMatches(signatures, sign(id, seconds, rawBody))
      ? { ok: true }
      : refuse('No matching signature found');
  };
}
