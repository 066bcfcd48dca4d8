import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { provisionDatabase } from '../workflows/provision.js';
import { provisionWorkflowId, type ProvisionInput } from '../workflows/provision-state.js';
import { STATUS, USER_ID } from '../workflows/search-attributes.js';
import type { WorkflowName } from './workflow-name.js';

export interface StartResult {
  workflowId: string;
  /** `started`: a run is open (new, or the one already running); `already-provisioned`: a run completed before. */
  outcome: 'started' | 'already-provisioned';
}

/**
 * Starts provisioning keyed by the Clerk user id. A duplicate while a run is open attaches to it
 * (USE_EXISTING); a duplicate after a successful run is refused by Temporal (ALLOW_DUPLICATE_FAILED_ONLY), so
 * no second run, no second database; a failed run may be started again.
 */
export async function startProvisioning(
  client: Client,
  taskQueue: string,
  input: ProvisionInput,
): Promise<StartResult> {
  const workflowId = provisionWorkflowId(input.userId);
  try {
    await client.workflow.start<typeof provisionDatabase>('provisionDatabase' satisfies WorkflowName, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: USER_ID, value: input.userId },
        { key: STATUS, value: 'provisioning' },
      ],
      staticSummary: `Provision a database for ${input.userId}`,
      staticDetails: 'create database → apply tenant migrations → record on Clerk `publicMetadata.database`',
    });
    return { workflowId, outcome: 'started' };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, outcome: 'already-provisioned' };
    throw error;
  }
}
