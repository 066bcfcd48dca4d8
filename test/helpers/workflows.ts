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

/** What the worker records of a local activity in its marker (`core_local_activity`'s `data`). */
interface LocalActivityMarkerData {
  activity_type: string;
  attempt: number;
  /** Set when the attempt failed and the next one waits on a server timer (the local retry threshold passed). */
  backoff: unknown;
}

/**
 * The local activities of that type recorded in a history, in order: each marker's attempt, whether it failed
 * (and why), and which worker (identity `pid@host`) completed the workflow task that recorded it, i.e. ran it.
 */
export function localActivityMarkers(history: History, activityType: string) {
  const events = history.events ?? [];
  const identities = new Map(
    events.flatMap((e) =>
      e.workflowTaskCompletedEventAttributes
        ? [[String(e.eventId), e.workflowTaskCompletedEventAttributes.identity]]
        : [],
    ),
  );
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    const payload = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0] : undefined;
    if (!payload?.data) return [];
    const data = JSON.parse(Buffer.from(payload.data).toString('utf8')) as LocalActivityMarkerData;
    if (data.activity_type !== activityType) return [];
    const identity = identities.get(String(marker!.workflowTaskCompletedEventId)) ?? '';
    const error = marker!.failure?.message ?? undefined;
    return [
      { attempt: data.attempt, failed: marker!.failure != null, error, retryOnTimer: data.backoff != null, identity },
    ];
  });
}

/**
 * A failed attempt of a local activity whose next attempt waits on a server timer (past the local retries: none
 * running), once the run has recorded one.
 */
export async function localActivityRetrying(client: Client, workflowId: string, activityType: string) {
  const history = await client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    .catch(() => undefined);
  return history && localActivityMarkers(history, activityType).find((m) => m.failed && m.retryOnTimer);
}

/** Whether a worker holds the run's workflow task right now (its local activities run inside it). */
export async function workflowTaskStarted(client: Client, workflowId: string): Promise<boolean> {
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  return description?.raw.pendingWorkflowTask?.state === PENDING_WORKFLOW_TASK_STARTED;
}

/** PendingWorkflowTaskState.STARTED. */
const PENDING_WORKFLOW_TASK_STARTED = 2;

/** The timeouts of the workflow's tasks (a worker that died holding one: START_TO_CLOSE). */
export function workflowTaskTimeoutTypes(history: History) {
  return (history.events ?? []).flatMap((e) => {
    const type = decodeTimeoutType(e.workflowTaskTimedOutEventAttributes?.timeoutType);
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
