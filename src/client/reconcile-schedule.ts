import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { WorkerConfig } from '../config/index.js';
import type { reconcileDatabases } from '../workflows/reconcile.js';
import { RECONCILE_DEFAULTS, reconcileScheduleId, reconcileWorkflowId } from '../workflows/reconcile-state.js';
import type { WorkflowName } from './workflow-name.js';

export type ReconcileScheduleState = { state: 'created' | 'updated'; intervalMs: number } | { state: 'off' };

function scheduleOptions(
  config: Pick<WorkerConfig, 'temporal' | 'reconcile'>,
  intervalMs: number,
): ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof reconcileDatabases>> {
  const { taskQueue } = config.temporal;
  const removeOrphans = config.reconcile.removeOrphans;
  return {
    scheduleId: reconcileScheduleId(taskQueue),
    spec: { intervals: [{ every: intervalMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'reconcileDatabases' satisfies WorkflowName,
      // Temporal appends the scheduled time, so scheduled runs never collide with one started on demand.
      workflowId: `${reconcileWorkflowId(taskQueue)}-scheduled`,
      taskQueue,
      args: [{ ...RECONCILE_DEFAULTS, dryRun: false, removeOrphans }],
      staticSummary: `Scheduled reconciliation${removeOrphans ? ' (removes orphans)' : ''}`,
    },
    // A run still going when the next is due: skip the next rather than run two scans at once.
    policies: { overlap: 'SKIP', catchupWindow: '1 minute' },
    memo: { purpose: 'per-user-db reconciliation: RECONCILE_INTERVAL, RECONCILE_REMOVE_ORPHANS' },
  };
}

/**
 * Makes the reconciliation schedule match the configuration (RECONCILE_INTERVAL, RECONCILE_REMOVE_ORPHANS):
 * creates it, or updates the one a previous worker created; `off` deletes it. Idempotent, so every worker
 * runs it at start, and the last configuration deployed wins.
 */
export async function ensureReconcileSchedule(
  client: Client,
  config: Pick<WorkerConfig, 'temporal' | 'reconcile'>,
): Promise<ReconcileScheduleState> {
  const scheduleId = reconcileScheduleId(config.temporal.taskQueue);
  const intervalMs = config.reconcile.intervalMs;
  if (intervalMs === undefined) {
    try {
      await client.schedule.getHandle(scheduleId).delete();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
    return { state: 'off' };
  }
  const options = scheduleOptions(config, intervalMs);
  try {
    await client.schedule.create(options);
    return { state: 'created', intervalMs };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const { scheduleId: _id, memo: _memo, ...update } = options;
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, ...update }));
  return { state: 'updated', intervalMs };
}
