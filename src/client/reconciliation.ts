import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { reconcileDatabases } from '../workflows/reconcile.js';
import {
  RECONCILE_DEFAULTS,
  reconcileProgressQuery,
  reconcileWorkflowId,
  type ReconcileProgress,
} from '../workflows/reconcile-state.js';
import { queryIfAnswered } from './connection.js';
import type { WorkflowName } from './workflow-name.js';

export type ReconciliationHandle = WorkflowHandle<typeof reconcileDatabases>;

/** Starts a reconciliation now (beside the schedule's runs); refused while one started this way is still open. */
export async function startReconciliation(
  client: Client,
  taskQueue: string,
  { dryRun, removeOrphans }: { dryRun: boolean; removeOrphans: boolean },
): Promise<ReconciliationHandle> {
  const workflowId = reconcileWorkflowId(taskQueue);
  try {
    return await client.workflow.start<typeof reconcileDatabases>('reconcileDatabases' satisfies WorkflowName, {
      workflowId,
      taskQueue,
      args: [{ ...RECONCILE_DEFAULTS, dryRun, removeOrphans }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Reconciliation${dryRun ? ' (dry run)' : ''}${removeOrphans ? ', removing orphans' : ''}`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(`A reconciliation is already running (workflow ${workflowId}); let it finish first`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The run's progress, or `undefined` when no worker answers right now. */
export function reconciliationProgress(
  client: Client,
  handle: ReconciliationHandle,
): Promise<ReconcileProgress | undefined> {
  return queryIfAnswered(client, handle, (h) => h.query(reconcileProgressQuery));
}
