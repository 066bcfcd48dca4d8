export const REDACTED = '[redacted]';

/**
 * `text` with every secret replaced, in its plain and URL-encoded forms (a password sits encoded in a
 * connection URL, and a server may echo either).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const forms = secrets.filter((s) => s.length > 0).flatMap((s) => [s, encodeURIComponent(s)]);
  // Longest first, so a secret that contains another is replaced whole.
  forms.sort((a, b) => b.length - a.length);
  return forms.reduce((out, secret) => out.split(secret).join(REDACTED), text);
}

/** A URL fit for logs and errors: no password and no query (it may carry tokens); unparseable text is hidden whole. */
export function maskUrl(url: string): string {
  if (!URL.canParse(url)) return REDACTED;
  const { protocol, username, password, host, pathname, search } = new URL(url);
  const credentials = username === '' ? '' : `${username}${password === '' ? '' : ':***'}@`;
  return `${protocol}//${credentials}${host}${pathname}${search === '' ? '' : '?***'}`;
}
