import type { Client, WorkflowHandle } from '@temporalio/client';
import { distribution } from './report.js';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const timeOf = (event: HistoryEvent) =>
  Number(event.eventTime?.seconds?.toString() ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/**
 * Where one provisioning run spent its time, from its Temporal history (server timestamps, ms): time workflow
 * tasks waited for the worker and ran (in total and task by task), and per activity type the wait in its task
 * queue and the run itself.
 */
export async function historyBreakdown(client: Client, workflowId: string): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [Number(e.eventId?.toString()), e]));
  const parts: Record<string, number> = {};
  const add = (key: string, value: number) => (parts[key] = (parts[key] ?? 0) + value);
  let workflowTasks = 0;
  for (const event of events) {
    // Each event carries exactly one attributes field, which names its type.
    if (event.workflowTaskStartedEventAttributes) {
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
