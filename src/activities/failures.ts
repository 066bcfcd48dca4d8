import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ClerkAuthError, ClerkRateLimitError, ClerkUserNotFoundError } from '../clerk/client.js';
import { MigrationChecksumError, MigrationFailedError, MigrationHistoryError } from '../migrations/index.js';
import { PermanentProviderError, ProviderRateLimitError } from '../providers/types.js';

/**
 * SQLSTATE classes worth another attempt: connection loss, serialization failure or deadlock, lack of
 * resources, operator intervention (shutdown, statement timeout), lock timeout, system and internal errors.
 * Any other failure of a migration's SQL (a duplicate object, a violated constraint) fails the same way every
 * time, so it is permanent.
 */
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58|XX)|^55P03$/;

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
  if (error instanceof MigrationChecksumError) {
    return ApplicationFailure.create({ message: error.message, type: 'MigrationChecksum', nonRetryable: true });
  }
  if (error instanceof MigrationHistoryError) {
    return ApplicationFailure.create({ message: error.message, type: 'MigrationHistory', nonRetryable: true });
  }
  if (error instanceof MigrationFailedError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && !TRANSIENT_SQLSTATE.test(code)) {
      return ApplicationFailure.create({ message: error.message, type: 'MigrationFailed', nonRetryable: true });
    }
  }
  return error;
}

/**
 * Every activity of a worker leaves through `toActivityFailure`: registered once on the worker, so no activity
 * can forget it.
 */
export const mapActivityFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        throw toActivityFailure(error);
      }
    },
  },
});
