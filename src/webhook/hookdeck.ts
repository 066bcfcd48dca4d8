import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'svix';
import { createSvixVerifier, svixFailedCheck, SVIX_HEADERS, type FailedCheck } from './verify.js';

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export type WebhookVerdict =
  { ok: true; via: 'svix' | 'hookdeck' | 'hookdeck+svix' } | { ok: false; check: FailedCheck; reason: string };

export interface WebhookVerifierOptions {
  /** Clerk's Svix signing secret (`whsec_…`, CLERK_WEBHOOK_SIGNING_SECRET). */
  svixSecret: string;
  /** The Hookdeck project's signing secret (HOOKDECK_WEBHOOK_SECRET); unset: Hookdeck headers are ignored. */
  hookdeckSecret?: string;
  /** Refuse deliveries that did not come through Hookdeck (no `x-hookdeck-signature`). Default false. */
  requireHookdeck?: boolean;
  /**
   * Accept a Hookdeck-signed delivery that carries no `svix-*` headers at all, provided Hookdeck says it
   * verified the source (`x-hookdeck-verified: true`). Default false: such a delivery is refused, because
   * the Hookdeck signature covers the body only (no timestamp), so Clerk's signature is the only proof of
   * origin and freshness we can check ourselves.
   */
  acceptHookdeckWithoutSvix?: boolean;
  /**
   * How old Clerk's Svix timestamp may be on a delivery that came through Hookdeck: Hookdeck retries and
   * replays forward the original `svix-*` headers, so svix's own ±5 min window would refuse every retry
   * after five minutes. Default 24 h.
   */
  hookdeckSvixMaxAgeSeconds?: number;
  /** Seconds since the epoch; tests pass a fixed clock. */
  nowSeconds?: () => number;
}

export const HOOKDECK_SIGNATURE_HEADER = 'x-hookdeck-signature';
/** Carries the signature made with the new secret while Hookdeck rotates the project's signing secret. */
export const HOOKDECK_ROTATED_SIGNATURE_HEADER = 'x-hookdeck-signature-2';
export const HOOKDECK_VERIFIED_HEADER = 'x-hookdeck-verified';

const SVIX_FUTURE_TOLERANCE_SECONDS = 5 * 60;
const DEFAULT_HOOKDECK_SVIX_MAX_AGE_SECONDS = 24 * 60 * 60;

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const hasHeader = (headers: WebhookHeaders, name: string) => headerValue(headers, name) !== undefined;

/** Equal-length buffers through `timingSafeEqual`; the length itself is public (a fixed-size encoding). */
function constantTimeEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Hookdeck signs the raw body: base64(HMAC-SHA256(body, project signing secret)). During a secret
 * rotation the second header holds the signature made with the other secret; either one matching passes.
 * Both are always compared, so the time taken does not tell which one matched.
 */
export function hookdeckSignatureMatches(rawBody: Buffer, headers: WebhookHeaders, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(rawBody).digest('base64');
  const primary = constantTimeEquals(headerValue(headers, HOOKDECK_SIGNATURE_HEADER) ?? '', expected);
  const rotated = constantTimeEquals(headerValue(headers, HOOKDECK_ROTATED_SIGNATURE_HEADER) ?? '', expected);
  return primary || rotated;
}

/**
 * Clerk's Svix signature with a caller-chosen maximum age (svix's own `verify` fixes it at 5 min).
 * The expected signature comes from svix itself; every `v1` entry of the header is compared in constant time.
 */
function createSvixSignatureCheck(signingSecret: string) {
  const webhook = new Webhook(signingSecret);
  return (rawBody: Buffer, headers: WebhookHeaders, maxAgeSeconds: number, now: number): string | undefined => {
    const id = headerValue(headers, 'svix-id');
    const timestamp = headerValue(headers, 'svix-timestamp');
    const signatures = headerValue(headers, 'svix-signature');
    if (!id || !timestamp || !signatures) return 'Missing required headers';
    if (!/^[0-9]{1,12}$/.test(timestamp)) return 'Invalid Signature Headers';
    const seconds = Number(timestamp);
    if (now - seconds > maxAgeSeconds) return `Message timestamp older than ${maxAgeSeconds} s`;
    if (seconds - now > SVIX_FUTURE_TOLERANCE_SECONDS) return 'Message timestamp too new';
    const expected = webhook.sign(id, new Date(seconds * 1000), rawBody).split(',')[1] ?? '';
    let matched = false;
    for (const entry of signatures.split(' ')) {
      const [version, signature = ''] = entry.split(',');
      if (version === 'v1' && constantTimeEquals(signature, expected)) matched = true;
    }
    return matched ? undefined : 'No matching signature found';
  };
}

/**
 * The receiver's one signature check, for deliveries straight from Clerk (Svix) and through Hookdeck.
 *
 * - No Hookdeck secret configured: plain Svix (±5 min); Hookdeck headers are ignored.
 * - Hookdeck secret configured, delivery has no `x-hookdeck-signature`: plain Svix, unless `requireHookdeck`.
 * - Delivery has `x-hookdeck-signature`: it must match (or `-2` must, during rotation), and then Clerk's Svix
 *   signature must match too whenever any `svix-*` header is present (Hookdeck forwards them unchanged),
 *   with the longer `hookdeckSvixMaxAgeSeconds` window so Hookdeck's retries and replays still pass.
 * - Hookdeck-signed without any `svix-*` header: refused unless `acceptHookdeckWithoutSvix` and Hookdeck
 *   reports `x-hookdeck-verified: true`.
 *
 * Duplicates (retries, replays) need no check here: the workflow id is derived from the Clerk user id, so a
 * second delivery of the same event starts nothing new.
 */
export function createWebhookVerifier(options: WebhookVerifierOptions) {
  const plainSvix = createSvixVerifier(options.svixSecret);
  const svixWithinWindow = createSvixSignatureCheck(options.svixSecret);
  const maxAge = options.hookdeckSvixMaxAgeSeconds ?? DEFAULT_HOOKDECK_SVIX_MAX_AGE_SECONDS;
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const hookdeckSecret = options.hookdeckSecret;

  return (rawBody: Buffer, headers: WebhookHeaders): WebhookVerdict => {
    const viaHookdeck =
      hasHeader(headers, HOOKDECK_SIGNATURE_HEADER) || hasHeader(headers, HOOKDECK_ROTATED_SIGNATURE_HEADER);
    if (!hookdeckSecret || !viaHookdeck) {
      if (hookdeckSecret && options.requireHookdeck) {
        return {
          ok: false,
          check: 'hookdeck',
          reason: `missing ${HOOKDECK_SIGNATURE_HEADER} (deliveries must come through Hookdeck)`,
        };
      }
      const verdict = plainSvix(rawBody, headers);
      return verdict.ok ? { ok: true, via: 'svix' } : verdict;
    }

    if (!hookdeckSignatureMatches(rawBody, headers, hookdeckSecret)) {
      return { ok: false, check: 'hookdeck', reason: 'Hookdeck signature does not match' };
    }
    const hasSvixHeaders = SVIX_HEADERS.some((name) => hasHeader(headers, name));
    if (hasSvixHeaders) {
      const problem = svixWithinWindow(rawBody, headers, maxAge, now());
      return problem
        ? { ok: false, check: svixFailedCheck(problem), reason: `Svix (via Hookdeck): ${problem}` }
        : { ok: true, via: 'hookdeck+svix' };
    }
    if (!options.acceptHookdeckWithoutSvix) {
      return {
        ok: false,
        check: 'svix',
        reason: 'Hookdeck delivery without svix-* headers (Clerk signature required)',
      };
    }
    if (headerValue(headers, HOOKDECK_VERIFIED_HEADER) !== 'true') {
      return {
        ok: false,
        check: 'hookdeck',
        reason: `Hookdeck did not verify the source (${HOOKDECK_VERIFIED_HEADER} is not "true")`,
      };
    }
    return { ok: true, via: 'hookdeck' };
  };
}
