/**
 * What makes a secret strong enough to start with. Each rule says why in its message and never echoes the
 * value: a refusal names the variable only.
 */

/** Svix signs with HMAC-SHA256; its own secrets are 24 random bytes or more (`whsec_` + base64). */
export const MIN_SIGNING_SECRET_BYTES = 24;
/** Hookdeck's project signing secret is used as the HMAC key as it is (a plain string, not base64). */
export const MIN_HOOKDECK_SECRET_CHARS = 24;
/** Tenant passwords are HMAC-derived from TENANT_PASSWORD_SECRET: it must be at least as long as the output. */
export const MIN_TENANT_PASSWORD_SECRET_CHARS = 32;
/**
 * Hookdeck keeps retrying a failed delivery for at most a week; a longer window would only lengthen how long a
 * captured Hookdeck-relayed delivery (whose Hookdeck signature has no timestamp) can be replayed.
 */
export const MAX_HOOKDECK_SVIX_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

/**
 * The sample secrets of docker-compose.yml: anyone can read them, so they are refused whenever the Clerk API is
 * the real one (they exist for the offline stack and its stand-in only).
 */
export const SAMPLE_SECRETS: Readonly<Record<string, string>> = {
  CLERK_SECRET_KEY: 'sk_test_localStandInKeyNotARealClerkSecret0000',
  CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_bG9jYWwtc3RhbmQtaW4tc2lnbmluZy1zZWNyZXQ=',
  CLERK_WEBHOOK_SECRET: 'whsec_bG9jYWwtc3RhbmQtaW4tc2lnbmluZy1zZWNyZXQ=',
  TENANT_PASSWORD_SECRET: 'local-only-tenant-password-secret-0000000000',
};

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A Svix signing secret: `whsec_` then base64 of at least MIN_SIGNING_SECRET_BYTES bytes. */
export function isStrongSigningSecret(secret: string): boolean {
  if (!secret.startsWith('whsec_')) return false;
  const key = secret.slice('whsec_'.length);
  return BASE64.test(key) && Buffer.from(key, 'base64').length >= MIN_SIGNING_SECRET_BYTES;
}

/** Long enough, and not one character repeated (a placeholder, not a secret). */
export const isStrongString = (secret: string, minChars: number): boolean =>
  secret.length >= minChars && new Set(secret).size > 1;

/**
 * The Clerk API is the real one unless CLERK_API_URL points at a stand-in: plain http (Clerk speaks https
 * only) or a loopback host.
 */
export function isRealClerkApi(apiUrl: string | undefined): boolean {
  if (apiUrl === undefined) return true;
  const url = new URL(apiUrl);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.hostname.endsWith('.localhost');
  return url.protocol === 'https:' && !loopback;
}

/** Each sample secret set while the Clerk API is real, as a problem naming its variable. */
export function sampleSecretProblems(env: Record<string, string | undefined>, clerkApiUrl: string | undefined) {
  if (!isRealClerkApi(clerkApiUrl)) return [];
  return Object.entries(SAMPLE_SECRETS)
    .filter(([name, sample]) => env[name]?.trim() === sample)
    .map(
      ([name]) =>
        `${name}: is the published sample from docker-compose.yml; with the real Clerk API set a secret of your own`,
    );
}
