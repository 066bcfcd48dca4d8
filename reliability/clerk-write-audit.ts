import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { ProvisionClerkActivities } from '../src/activities/provision.js';

/** Provisioning's Clerk writes: each run schedules exactly one of them. */
const CLERK_WRITES: ReadonlySet<string> = new Set(['recordOnClerk', 'recordOnClerkIfUserExists'] satisfies Array<
  keyof ProvisionClerkActivities
>);

/** One run's Clerk write activities, read from its history. */
export interface RunClerkWrites {
  /** Write activities the run scheduled: more than one is a duplicate made by the workflow. */
  activities: number;
  /** Attempts those activities started (the last ActivityTaskStarted's `attempt`): each may reach Clerk once. */
  attempts: number;
  /** Why each retried attempt was needed: the failure of the attempt before it (user ids masked). */
  retryCauses: string[];
}

/**
 * A closed run's Clerk write activities. The history holds one ActivityTaskStarted per activity, written when it
 * closed: its `attempt` says how many tries it took, its `lastFailure` why the last one was needed.
 */
export function clerkWritesInHistory(history: History): RunClerkWrites {
  const writes = new Set<string>();
  const result: RunClerkWrites = { activities: 0, attempts: 0, retryCauses: [] };
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled && CLERK_WRITES.has(scheduled.activityType?.name ?? '')) {
      writes.add(String(event.eventId));
      result.activities += 1;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started && writes.has(String(started.scheduledEventId))) {
      const attempt = started.attempt ?? 1;
      result.attempts += attempt;
      const cause = (started.lastFailure?.message ?? 'unknown').replaceAll(/user_[A-Za-z0-9]+/g, 'user_…');
      for (let retry = 1; retry < attempt; retry += 1) result.retryCauses.push(cause);
    }
  }
  return result;
}

export async function runClerkWrites(client: Client, workflowId: string, runId: string): Promise<RunClerkWrites> {
  return clerkWritesInHistory(await client.workflow.getHandle(workflowId, runId).fetchHistory());
}

/**
 * The storm's Clerk write count, from both ends. Duplicate deliveries must never make a second write activity
 * (one run, one scheduled write). Clerk has no idempotency key, so a write whose answer was lost is sent again by
 * the activity's next attempt: the same value, an extra write on the wire that the retry explains. A write the
 * stand-in applied beyond the attempts the histories show has no explanation, and fails the storm too.
 */
export interface ClerkWriteAudit {
  /** Write activities per run, lowest and highest (1 and 1 without duplicates). */
  activitiesPerRun: { min: number; max: number };
  /** Write activities beyond one per user, in one run or across runs: the duplicates deliveries must not cause. */
  duplicateActivities: number;
  /** Writes the stand-in applied per user, lowest and highest. */
  acceptedPerUser: { min: number; max: number };
  /** Applied writes beyond one per activity that a retried attempt made. */
  retriedWrites: number;
  /** Every retried attempt of a write activity, by the failure before it (not each one reached Clerk). */
  retryCauses: Record<string, number>;
  /** Applied writes beyond every attempt the histories show: no activity made them. */
  unexplainedWrites: number;
}

export function auditClerkWrites(
  runsByUser: Map<string, RunClerkWrites[]>,
  acceptedByUser: Record<string, number[]>,
): ClerkWriteAudit {
  const perRun: number[] = [];
  const perUser: number[] = [];
  const audit = { duplicateActivities: 0, retriedWrites: 0, unexplainedWrites: 0 };
  const retryCauses: Record<string, number> = {};
  for (const [userId, runs] of runsByUser) {
    const accepted = acceptedByUser[userId]?.length ?? 0;
    perUser.push(accepted);
    const activities = runs.reduce((n, r) => n + r.activities, 0);
    const attempts = runs.reduce((n, r) => n + r.attempts, 0);
    perRun.push(...runs.map((r) => r.activities));
    audit.duplicateActivities += Math.max(0, activities - 1);
    audit.retriedWrites += Math.max(0, Math.min(accepted, attempts) - activities);
    audit.unexplainedWrites += Math.max(0, accepted - attempts);
    for (const cause of runs.flatMap((r) => r.retryCauses)) retryCauses[cause] = (retryCauses[cause] ?? 0) + 1;
  }
  const range = (list: number[]) => ({ min: Math.min(...list), max: Math.max(...list) });
  return { activitiesPerRun: range(perRun), acceptedPerUser: range(perUser), ...audit, retryCauses };
}
