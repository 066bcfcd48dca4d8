import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { provisionDatabase } from '../workflows/provision.js';
import { provisionWorkflowId, type ProvisionInput } from '../workflows/provision-state.js';
import { STATUS, USER_ID } from '../workflows/search-attributes.js';
import type { WorkflowName } from './workflow-name.js';

export interface StartResult {
  workflowId: string;
  /**
   * `started`: a run is open (new, or the one already running); `already-provisioned`: a run completed before;
   * `already-stopped`: the last run was cancelled (the user was deleted) or terminated by an operator.
   */
  outcome: 'started' | 'already-provisioned' | 'already-stopped';
}

export interface StartOptions {
  /**
   * Start again after a cancelled or terminated run: for callers that checked the user exists (reconciliation)
   * or act for an operator. A webhook must not: a late `user.created` would resurrect a deleted user.
   */
  restartStopped?: boolean;
}

/** How the last run closed decides what a new start does: only a failed run is retried. */
const OUTCOME_AFTER: Record<string, 'already-provisioned' | 'already-stopped' | 'retry'> = {
  COMPLETED: 'already-provisioned',
  CANCELLED: 'already-stopped',
  TERMINATED: 'already-stopped',
  FAILED: 'retry',
  TIMED_OUT: 'retry',
  CONTINUED_AS_NEW: 'retry',
};

/**
 * Starts provisioning keyed by the Clerk user id. A duplicate while a run is open attaches to it
 * (USE_EXISTING); otherwise how the last run closed decides: completed → `already-provisioned` (no second run,
 * no second database), cancelled or terminated → `already-stopped`, failed or timed out → a new run.
 */
export async function startProvisioning(
  client: Client,
  taskQueue: string,
  input: ProvisionInput,
  options: StartOptions = {},
): Promise<StartResult> {
  const workflowId = provisionWorkflowId(input.userId);
  const start = (workflowIdReusePolicy: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY') =>
    client.workflow.start<typeof provisionDatabase>('provisionDatabase' satisfies WorkflowName, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy,
      typedSearchAttributes: [
        { key: USER_ID, value: input.userId },
        { key: STATUS, value: 'provisioning' },
      ],
      staticSummary: `Provision a database for ${input.userId}`,
      staticDetails: 'create database → apply tenant migrations → record on Clerk `publicMetadata.database`',
    });
  try {
    await start('REJECT_DUPLICATE');
    return { workflowId, outcome: 'started' };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  const closed = (await client.workflow.getHandle(workflowId).describe()).status.name;
  const after = OUTCOME_AFTER[closed] ?? 'retry';
  if (after === 'already-provisioned' || (after === 'already-stopped' && !options.restartStopped)) {
    return { workflowId, outcome: after };
  }
  try {
    // Never after a completed run: a run that completed meanwhile refuses this start too.
    await start('ALLOW_DUPLICATE_FAILED_ONLY');
    return { workflowId, outcome: 'started' };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, outcome: 'already-provisioned' };
    throw error;
  }
}
