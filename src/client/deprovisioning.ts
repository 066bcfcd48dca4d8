import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { deprovisionDatabase } from '../workflows/deprovision.js';
import { deprovisionWorkflowId, type DeprovisionInput, type DeprovisionState } from '../workflows/deprovision-state.js';
import { STATUS, USER_ID } from '../workflows/search-attributes.js';
import type { WorkflowName } from './workflow-name.js';

/** The deprovisioning workflow's update (`restoreUpdate` in src/workflows/deprovision.ts) that ends a grace period. */
const RESTORE_UPDATE = 'restore';

/**
 * Starts deprovisioning keyed by the Clerk user id. Duplicate deletes while a run is open attach to it
 * (USE_EXISTING); a delete after a run closed starts a new run (ALLOW_DUPLICATE), which converges: the
 * provisioning run is already closed and `drop` finds nothing.
 */
export async function startDeprovisioning(
  client: Client,
  taskQueue: string,
  input: DeprovisionInput,
): Promise<{ workflowId: string; outcome: 'started' }> {
  const workflowId = deprovisionWorkflowId(input.userId);
  const grace = input.gracePeriodMs ? `, kept locked for ${input.gracePeriodMs} ms first` : '';
  await client.workflow.start<typeof deprovisionDatabase>('deprovisionDatabase' satisfies WorkflowName, {
    workflowId,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: USER_ID, value: input.userId },
      { key: STATUS, value: 'deleting' },
    ],
    staticSummary: `Remove the database of ${input.userId} (${input.reason})`,
    staticDetails: `stop provisioning → drop database and role/branch${grace} → record on Clerk if the user still exists`,
  });
  return { workflowId, outcome: 'started' };
}

/** Why there is nothing to restore: no deletion ever, or one that has already ended (and how). */
async function noOpenDeletion(handle: WorkflowHandle<typeof deprovisionDatabase>, userId: string): Promise<string> {
  try {
    const { status } = await handle.describe();
    const ended = status.name === 'COMPLETED' ? (await handle.result()).status : status.name.toLowerCase();
    return `${userId} cannot be restored: its deletion has already ended (${ended})`;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return `${userId} has no deletion to restore`;
    throw error;
  }
}

/**
 * Restores a deletion still in its grace period: the database is kept and unlocked. Fails with a message saying
 * why when there is no such deletion or its grace period is over.
 */
export async function restoreDatabase(client: Client, userId: string): Promise<DeprovisionState> {
  const handle = client.workflow.getHandle<typeof deprovisionDatabase>(deprovisionWorkflowId(userId));
  try {
    return await handle.executeUpdate<DeprovisionState, []>(RESTORE_UPDATE);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new Error(await noOpenDeletion(handle, userId), { cause: error });
    if (error instanceof WorkflowUpdateFailedError) {
      throw new Error(`${userId} cannot be restored: ${error.cause?.message ?? error.message}`, { cause: error });
    }
    throw error;
  }
}
