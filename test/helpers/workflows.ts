import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { decodeTimeoutType } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';

type PendingActivity = NonNullable<WorkflowExecutionDescription['raw']['pendingActivities']>[number];

/** Whether Temporal has any execution under that workflow id (strongly consistent, unlike visibility). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

export const provisioningExists = (client: Client, userId: string) =>
  workflowExists(client, provisionWorkflowId(userId));

/** The pending activity of a running workflow, as the server sees it (attempt, state, last failure, worker). */
export async function pendingActivity(client: Client, workflowId: string): Promise<PendingActivity | undefined> {
  const description = await client.workflow.getHandle(workflowId).describe();
  return description.raw.pendingActivities?.[0];
}

/** Every workflow id on a task queue, from visibility (eventually consistent: new runs may be missing). */
export async function workflowIdsOnTaskQueue(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) ids.push(run.workflowId);
  return ids;
}

/** The ActivityTaskStarted events of activities of that type, in history order. */
function startedActivities(history: History, activityType: string) {
  const events = history.events ?? [];
  const scheduledIds = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => String(e.eventId)),
  );
  return events.flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    return started && scheduledIds.has(String(started.scheduledEventId)) ? [started] : [];
  });
}

/** The attempt each activity of that type completed or failed for good on (1 = first try). */
export function activityAttempts(history: History, activityType: string): number[] {
  return startedActivities(history, activityType).map((s) => s.attempt ?? 1);
}

/** Which worker (identity `pid@host`) ran the recorded attempt of each activity of that type. */
export function activityIdentities(history: History, activityType: string): string[] {
  return startedActivities(history, activityType).map((s) => s.identity ?? '');
}

/** The failure types activities of that type saw before their recorded attempt (ActivityTaskStarted.lastFailure). */
export function activityLastFailureTypes(history: History, activityType: string): string[] {
  return startedActivities(history, activityType).flatMap((s) => {
    const type = s.lastFailure?.applicationFailureInfo?.type;
    return type ? [type] : [];
  });
}

/** The timeouts activities of that type hit before their recorded attempt (a dead worker: HEARTBEAT). */
export function activityTimeoutTypes(history: History, activityType: string) {
  return startedActivities(history, activityType).flatMap((s) => {
    const type = decodeTimeoutType(s.lastFailure?.timeoutFailureInfo?.timeoutType);
    return type ? [type] : [];
  });
}

/**
 * A history as searchable text, with every payload's data decoded (it is JSON), so a secret inside an activity
 * argument, result or failure shows up as itself rather than as base64. (The proto messages serialise their
 * bytes as base64 themselves, before a replacer sees them.)
 */
export function historyText(history: History): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    if (isEncodedPayload(value)) return { ...value, data: Buffer.from(value.data, 'base64').toString('utf8') };
    return value;
  });
}

function isEncodedPayload(value: unknown): value is { metadata: unknown; data: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'metadata' in value &&
    typeof (value as { data?: unknown }).data === 'string'
  );
}
