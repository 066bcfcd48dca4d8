import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { credentialRotation } from '../workflows/credential-rotation.js';
import {
  credentialRotationWorkflowId,
  type CredentialRotationOptions,
  type FleetProgress,
} from '../workflows/fleet-migration-state.js';
import { STATUS } from '../workflows/search-attributes.js';
import { controlRollout, lastRollout, type FleetControl, type FleetMigrationHandle } from './fleet-migration.js';
import type { WorkflowName } from './workflow-name.js';

export type CredentialRotationHandle = WorkflowHandle<typeof credentialRotation>;

/**
 * Starts re-setting every tenant's password from the workers' current TENANT_PASSWORD_SECRET; one rotation
 * runs at a time per task queue. The input carries no secret.
 */
export async function startCredentialRotation(
  client: Client,
  taskQueue: string,
  options: CredentialRotationOptions,
): Promise<CredentialRotationHandle> {
  const workflowId = credentialRotationWorkflowId(taskQueue);
  try {
    return await client.workflow.start<typeof credentialRotation>('credentialRotation' satisfies WorkflowName, {
      workflowId,
      taskQueue,
      args: [options],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [{ key: STATUS, value: 'running' }],
      staticSummary: 'Credential rotation (TENANT_PASSWORD_SECRET)',
      staticDetails:
        `Every tenant role's password re-set from the workers' current TENANT_PASSWORD_SECRET: ` +
        `${options.concurrency} at a time, ${options.maxAttempts} attempts per tenant.`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `A credential rotation is already running (workflow ${workflowId}); only one runs at a time. Watch it ` +
          'with `per-user-db rotate-credentials status --watch`, or pause, resume or cancel it.',
        { cause: error },
      );
    }
    throw error;
  }
}

/** The latest rotation and its Temporal status, or `null` when none ever ran. */
export function lastCredentialRotation(
  client: Client,
  taskQueue: string,
): Promise<{ handle: FleetMigrationHandle; status: string } | null> {
  return lastRollout(client, credentialRotationWorkflowId(taskQueue));
}

/** Pauses, resumes or cancels the running rotation. */
export function controlCredentialRotation(
  client: Client,
  taskQueue: string,
  control: FleetControl,
): Promise<FleetProgress> {
  return controlRollout(client, credentialRotationWorkflowId(taskQueue), control, 'credential rotation');
}
