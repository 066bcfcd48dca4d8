import { LRUCache } from 'lru-cache';

export interface RateLimitOptions {
  /** Requests a client may make per minute; also the burst it may spend at once. */
  perMinute: number;
  /** Clients tracked at once (the least recently seen is forgotten first, which only makes it more lenient). */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per client key (user id or IP): `perMinute` tokens, refilled continuously. `take` answers
 * whether the request may go on, or how many seconds until the next token.
 */
export function createRateLimiter({ perMinute, maxClients = 10_000 }: RateLimitOptions) {
  const perMs = perMinute / 60_000;
  const buckets = new LRUCache<string, Bucket>({ max: maxClients });
  return {
    take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
