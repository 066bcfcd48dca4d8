import { redactSecrets } from '../domain/index.js';
import { PermanentProviderError, ProviderRateLimitError } from './types.js';

/** What both Xata SDKs tell us about a failed call, reduced to the parts we act on. */
export interface XataFailure {
  /** HTTP status; undefined when no answer arrived (network error, timeout). */
  status?: number;
  /** The server's message (or the network error's), not yet redacted. */
  message: string;
  retryAfterMs?: number;
  requestId?: string;
}

/** The wait when a 429 names none: long enough not to hammer the API, short enough to make progress. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

/**
 * Maps a failed Xata call to our error contract: 401/403 BadCredentials, 404 NotFound, 400/409/412/422
 * InvalidRequest (permanent); 429 ProviderRateLimitError; 5xx, timeouts and network errors a plain, retryable
 * Error. Messages name the operation and never hold a secret.
 */
export function xataError(operation: string, failure: XataFailure, secrets: readonly string[]): Error {
  const detail = redactSecrets(failure.message, secrets).slice(0, 500);
  const request = failure.requestId ? ` (request id ${failure.requestId})` : '';
  const status = failure.status;
  const message = `Xata ${operation} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${detail}${request}`;
  if (status === 401 || status === 403) {
    return new PermanentProviderError(`${message}. Check the API key and its scopes.`, 'BadCredentials');
  }
  if (status === 404) return new PermanentProviderError(message, 'NotFound');
  if (status === 400 || status === 409 || status === 412 || status === 422) {
    return new PermanentProviderError(message, 'InvalidRequest');
  }
  if (status === 429) return new ProviderRateLimitError(message, failure.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
  return new Error(message);
}

/** Milliseconds from a `Retry-After` (seconds or HTTP date) or `x-ratelimit-reset` (seconds) header value. */
export function parseRetryAfterMs(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
