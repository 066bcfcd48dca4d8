import type { Client, WorkflowHandle } from '@temporalio/client';
import { distribution } from './report.js';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const timeOf = (event: HistoryEvent) =>
  Number(event.eventTime?.seconds?.toString() ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/** A local activity's marker: its type and when the worker completed it (ms), or undefined for other events. */
function localActivity(event: HistoryEvent): { type: string; completedAt: number } | undefined {
  const marker = event.markerRecordedEventAttributes;
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
  if (!data) return undefined;
  const { activity_type: type, complete_time: at } = JSON.parse(Buffer.from(data).toString('utf8')) as {
    activity_type: string;
    complete_time: { seconds: number; nanos: number };
  };
  return { type, completedAt: at.seconds * 1000 + at.nanos / 1e6 };
}

/**
 * Where one provisioning run spent its time, from its Temporal history (server timestamps, ms): time workflow
 * tasks waited for the worker and ran (in total and task by task), per activity type the wait in its task
 * queue and the run itself, and per local activity type (`<type>.local`) its run inside the workflow task: from
 * the task's start, or the previous local activity's completion, to its own (the worker's clock, in its marker).
 */
export async function historyBreakdown(client: Client, workflowId: string): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [Number(e.eventId?.toString()), e]));
  const parts: Record<string, number> = {};
  const add = (key: string, value: number) => (parts[key] = (parts[key] ?? 0) + value);
  let workflowTasks = 0;
  let localFrom = 0;
  for (const event of events) {
    const local = localActivity(event);
    if (local) {
      add(`${local.type}.local`, local.completedAt - localFrom);
      localFrom = local.completedAt;
    }
    // Each event carries exactly one attributes field, which names its type.
    if (event.workflowTaskStartedEventAttributes) {
      localFrom = timeOf(event);
      const scheduled = byId.get(Number(event.workflowTaskStartedEventAttributes.scheduledEventId?.toString()));
      workflowTasks++;
      if (scheduled) {
        add('workflowTaskWait', timeOf(event) - timeOf(scheduled));
        add(`workflowTask${workflowTasks}.wait`, timeOf(event) - timeOf(scheduled));
      }
    } else if (event.workflowTaskCompletedEventAttributes) {
      const started = byId.get(Number(event.workflowTaskCompletedEventAttributes.startedEventId?.toString()));
      if (started) {
        add('workflowTaskRun', timeOf(event) - timeOf(started));
        add(`workflowTask${workflowTasks}.run`, timeOf(event) - timeOf(started));
      }
    } else if (event.activityTaskCompletedEventAttributes) {
      const attrs = event.activityTaskCompletedEventAttributes;
      const scheduled = byId.get(Number(attrs.scheduledEventId?.toString()));
      const started = byId.get(Number(attrs.startedEventId?.toString()));
      const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
      if (scheduled && started) {
        add(`${name}.wait`, timeOf(started) - timeOf(scheduled));
        add(`${name}.run`, timeOf(event) - timeOf(started));
      }
    }
  }
  const first = events[0];
  const last = events.at(-1);
  if (first && last) add('total', timeOf(last) - timeOf(first));
  parts.workflowTasks = workflowTasks;
  return parts;
}

/** The median of each part over many runs. */
export function medianBreakdown(breakdowns: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const keys = [...new Set(breakdowns.flatMap((b) => Object.keys(b)))];
  return Object.fromEntries(keys.map((k) => [k, distribution(breakdowns.map((b) => b[k] ?? 0)).p50] as const));
}
