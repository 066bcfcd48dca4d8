import { ApplicationFailure, Context } from '@temporalio/activity';
import { toActivityFailure } from './failures.js';
import { BATCH_HEARTBEAT_EVERY_MS, whileHeartbeating } from './heartbeat.js';

/**
 * What became of one tenant of a batch: its result, or its error as the failure mapping classifies it
 * (`nonRetryable`: no retry can fix it; otherwise the workflow retries the tenant alone).
 */
export type TenantOutcome<T> =
  { ok: true; result: T } | { ok: false; error: string; type?: string; nonRetryable: boolean };

/** The outcomes an earlier attempt of this activity recorded in its last heartbeat, if any. */
function recordedOutcomes<T>(context: Context, tenants: number): TenantOutcome<T>[] {
  const details: unknown = context.info.heartbeatDetails;
  return Array.isArray(details) && details.length <= tenants ? (details as TenantOutcome<T>[]) : [];
}

function failedOutcome(error: unknown): TenantOutcome<never> {
  const failure = toActivityFailure(error);
  if (failure instanceof ApplicationFailure) {
    return {
      ok: false,
      error: failure.message,
      type: failure.type ?? undefined,
      nonRetryable: failure.nonRetryable === true,
    };
  }
  return { ok: false, error: failure instanceof Error ? failure.message : String(failure), nonRetryable: false };
}

/**
 * Runs `work` on each tenant in turn inside one activity and answers every tenant's outcome, in order: a
 * tenant's failure is recorded and the batch goes on. The outcomes so far are the heartbeat's details, so an
 * attempt after a dead worker (or a timeout) starts after the last tenant the server heard of instead of
 * redoing the batch. A tenant's outcome is handed over at once when the last hand-over is older than the
 * worker's heartbeat throttle (the periodic heartbeat carries it otherwise): each hand-over encodes every
 * outcome so far, which the worker would mostly drop unsent. `work` gets the activity's cancellation signal;
 * work interrupted by it (a worker shutting down) leaves as the cancellation, not as the tenant's failure.
 */
export async function forEachTenant<Tenant, T>(
  tenants: readonly Tenant[],
  work: (tenant: Tenant, signal: AbortSignal) => Promise<T>,
): Promise<TenantOutcome<T>[]> {
  const context = Context.current();
  const outcomes = recordedOutcomes<T>(context, tenants.length);
  let handedOver = Date.now();
  return whileHeartbeating(
    async (signal) => {
      for (const tenant of tenants.slice(outcomes.length)) {
        const outcome = await work(tenant, signal).then(
          (result): TenantOutcome<T> => ({ ok: true, result }),
          (error: unknown) => {
            if (signal.aborted) throw error;
            return failedOutcome(error);
          },
        );
        outcomes.push(outcome);
        if (Date.now() - handedOver >= BATCH_HEARTBEAT_EVERY_MS) {
          context.heartbeat(outcomes);
          handedOver = Date.now();
        }
        if (signal.aborted) throw signal.reason;
      }
      return outcomes;
    },
    () => outcomes,
  );
}
