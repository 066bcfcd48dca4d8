import { Context } from '@temporalio/activity';

/** Heartbeat cadence: well inside the shortest heartbeat timeout (10 s), so a dead worker is noticed in seconds. */
export const HEARTBEAT_EVERY_MS = 2_000;

/**
 * How stale a fleet batch's recorded outcomes may get: the worker sends heartbeats at most this often
 * (`maxHeartbeatThrottleInterval`), so a batch hands it its outcomes no more often either.
 */
export const BATCH_HEARTBEAT_EVERY_MS = 1_000;

/**
 * Keeps the activity's heartbeat going while `work` runs, so Temporal tells slow work from a dead worker, and
 * hands `work` the activity's cancellation signal (delivered with a heartbeat's answer) so it can stop its SQL.
 * Work that fails because it was cancelled leaves as the cancellation itself: the workflow sees a cancelled
 * activity, not a failed one.
 *
 * A local activity sends no heartbeat: the server knows no such activity (the SDK's core drops the call with a
 * warning), its liveness is its workflow task's, and its cancel comes from the workflow through the worker.
 */
export async function whileHeartbeating<T>(
  work: (signal: AbortSignal) => Promise<T>,
  /** What each heartbeat carries (a retry reads the last one as `heartbeatDetails`); none by default. */
  details: () => unknown = () => undefined,
): Promise<T> {
  const context = Context.current();
  const timer = context.info.isLocal ? undefined : startHeartbeat(() => context.heartbeat(details()));
  try {
    return await work(context.cancellationSignal);
  } catch (error) {
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? error;
    throw error;
  } finally {
    clearInterval(timer);
  }
}

function startHeartbeat(beat: () => void): NodeJS.Timeout {
  beat();
  return setInterval(beat, HEARTBEAT_EVERY_MS);
}
