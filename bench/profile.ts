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
 * queue and the run itself, and per local activity type (`<type>.local`) its run inside the workflow task. A
 * marker's completion time is the workflow's time when the step was scheduled (the task's start, or the previous
 * step's completion) plus the step's runtime as the worker's core measured it (handed to the activity code →
 * its result back), so `.local` is that runtime, and `workflowTask<n>.besideLocal` the rest of the task's run:
 * its hand-over to the worker, its activations, the steps' dispatch and the completion's way back.
 */
export async function historyBreakdown(client: Client, workflowId: string): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [Number(e.eventId?.toString()), e]));
  const parts: Record<string, number> = {};
  const add = (key: string, value: number) => (parts[key] = (parts[key] ?? 0) + value);
  let workflowTasks = 0;
  let localFrom = 0;
  // A task's markers follow its WorkflowTaskCompleted event: its local activities' runtimes, by task.
  const localByTask = new Map<number, number>();
  for (const event of events) {
    const local = localActivity(event);
    if (local) {
      add(`${local.type}.local`, local.completedAt - localFrom);
      localByTask.set(workflowTasks, (localByTask.get(workflowTasks) ?? 0) + local.completedAt - localFrom);
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
  for (const [task, local] of localByTask) {
    const run = parts[`workflowTask${task}.run`];
    if (run !== undefined) add(`workflowTask${task}.besideLocal`, run - local);
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

/** Activities that take a lane of a tenant rollout's window: a batch, or one tenant alone. */
const LANE_ACTIVITIES = new Set([
  'migrateTenants',
  'migrateTenant',
  'rotateTenantsCredentials',
  'rotateTenantCredentials',
]);

/**
 * Where a tenant rollout's time went, from its history (the last run of its chain), as wall time that adds up
 * to the rollout as the bench measured it (ms): `head` from the start call to the first lane's activity
 * starting; `lanesBusy`, the lanes' activity time divided by the window (the work itself); `gaps`, lanes of the
 * window left empty while tenants were still to start (a completion waiting for the workflow task that starts
 * the next batch, a batch waiting in the task queue, a listing not back yet); `tail`, lanes empty after the last
 * one started; `end`, from the last lane's completion to the bench holding the result.
 */
export async function rolloutTimeline(
  client: Client,
  workflowId: string,
  { startedAt, resultAt, concurrency }: { startedAt: number; resultAt: number; concurrency: number },
) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<number, { name: string; at: number }>();
  const lanes: { scheduled: number; started: number; completed: number }[] = [];
  const listings: { scheduled: number; completed: number }[] = [];
  const started = new Map<number, number>();
  const workflowTasks: { wait: number; run: number }[] = [];
  const taskScheduled = new Map<number, number>();
  const taskStarted = new Map<number, number>();
  for (const event of events) {
    const id = Number(event.eventId?.toString());
    const at = timeOf(event);
    if (event.activityTaskScheduledEventAttributes) {
      scheduled.set(id, { name: event.activityTaskScheduledEventAttributes.activityType?.name ?? '', at });
    } else if (event.activityTaskStartedEventAttributes) {
      started.set(Number(event.activityTaskStartedEventAttributes.scheduledEventId?.toString()), at);
    } else if (event.activityTaskCompletedEventAttributes) {
      const scheduledId = Number(event.activityTaskCompletedEventAttributes.scheduledEventId?.toString());
      const activity = scheduled.get(scheduledId);
      if (activity && LANE_ACTIVITIES.has(activity.name)) {
        lanes.push({ scheduled: activity.at, started: started.get(scheduledId) ?? activity.at, completed: at });
      } else if (activity?.name === 'listTenantPage') {
        listings.push({ scheduled: activity.at, completed: at });
      }
    } else if (event.workflowTaskScheduledEventAttributes) {
      taskScheduled.set(id, at);
    } else if (event.workflowTaskStartedEventAttributes) {
      taskStarted.set(id, at);
      const wait = at - (taskScheduled.get(Number(event.workflowTaskStartedEventAttributes.scheduledEventId)) ?? at);
      workflowTasks.push({ wait, run: 0 });
    } else if (event.workflowTaskCompletedEventAttributes) {
      const task = workflowTasks.at(-1);
      if (task)
        task.run = at - (taskStarted.get(Number(event.workflowTaskCompletedEventAttributes.startedEventId)) ?? at);
    }
  }
  if (lanes.length === 0) return undefined;
  const firstStart = Math.min(...lanes.map((l) => l.started));
  const lastScheduled = Math.max(...lanes.map((l) => l.scheduled));
  const lastCompleted = Math.max(...lanes.map((l) => l.completed));
  // Lane-time left empty between two instants, integrated over the window's occupancy.
  const emptyLaneMs = (from: number, to: number) => {
    const changes = lanes
      .flatMap((l) => [
        { at: l.started, d: 1 },
        { at: l.completed, d: -1 },
      ])
      .sort((a, b) => a.at - b.at || a.d - b.d);
    let busy = 0;
    let last = from;
    let empty = 0;
    for (const { at, d } of changes) {
      const clipped = Math.min(Math.max(at, from), to);
      empty += Math.max(0, concurrency - busy) * (clipped - last);
      last = clipped;
      busy += d;
    }
    return empty + Math.max(0, concurrency - busy) * (to - last);
  };
  const busyMs = lanes.reduce((sum, l) => sum + (l.completed - l.started), 0);
  const r = (v: number) => Math.round(v);
  return {
    head: r(firstStart - startedAt),
    lanesBusy: r(busyMs / concurrency),
    gaps: r(emptyLaneMs(firstStart, lastScheduled) / concurrency),
    tail: r(emptyLaneMs(lastScheduled, lastCompleted) / concurrency),
    end: r(resultAt - lastCompleted),
    marks: {
      workflowStarted: r(timeOf(events[0]!) - startedAt),
      listings: listings.map((l) => [r(l.scheduled - startedAt), r(l.completed - startedAt)]),
      firstLaneScheduled: r(Math.min(...lanes.map((l) => l.scheduled)) - startedAt),
      firstLaneStarted: r(firstStart - startedAt),
      lastLaneScheduled: r(lastScheduled - startedAt),
      lastLaneCompleted: r(lastCompleted - startedAt),
      workflowClosed: r(timeOf(events.at(-1)!) - startedAt),
    },
    laneActivities: lanes.length,
    queueWait: distribution(lanes.map((l) => l.started - l.scheduled)),
    laneRun: distribution(lanes.map((l) => l.completed - l.started)),
    workflowTasks: {
      count: workflowTasks.length,
      wait: distribution(workflowTasks.map((t) => t.wait)),
      run: distribution(workflowTasks.map((t) => t.run)),
    },
  };
}
