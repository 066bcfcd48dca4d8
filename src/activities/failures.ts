import { ApplicationFailure } from '@temporalio/activity';
import { ClerkAuthError, ClerkRateLimitError, ClerkUserNotFoundError } from '../clerk/client.js';
import { PermanentProviderError, ProviderRateLimitError } from '../providers/types.js';

/**
 * Turns our adapters' errors into Temporal failures: permanent ones become non-retryable with a type the
 * workflow names, rate limits carry the vendor's Retry-After as `nextRetryDelay`, the rest retry normally.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof PermanentProviderError) {
    return ApplicationFailure.create({ message: error.message, type: error.type, nonRetryable: true });
  }
  if (error instanceof ProviderRateLimitError || error instanceof ClerkRateLimitError) {
    return ApplicationFailure.create({
      message: error.message,
      type: 'RateLimited',
      nextRetryDelay: error.retryAfterMs,
    });
  }
  if (error instanceof ClerkUserNotFoundError) {
    return ApplicationFailure.create({ message: error.message, type: 'ClerkUserNotFound', nonRetryable: true });
  }
  if (error instanceof ClerkAuthError) {
    return ApplicationFailure.create({ message: error.message, type: 'ClerkAuth', nonRetryable: true });
  }
  if (error instanceof Error && error.name === 'MigrationChecksumError') {
    return ApplicationFailure.create({ message: error.message, type: 'MigrationChecksum', nonRetryable: true });
  }
  return error;
}

/** Wraps an activity so every error leaves it through `toActivityFailure`. */
export function withFailureMapping<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
}
