import type { Client, WorkflowHandle } from '@temporalio/client';
import type { credentialRotation } from '../workflows/credential-rotation.js';
import {
  credentialRotationWorkflowId,
  DEFAULT_BATCH_SIZE,
  type CredentialRotationInput,
  type CredentialRotationOptions,
  type FleetProgress,
} from '../workflows/fleet-migration-state.js';
import {
  controlRollout,
  lastRollout,
  startRollout,
  type FleetControl,
  type FleetMigrationHandle,
} from './fleet-migration.js';

export type CredentialRotationHandle = WorkflowHandle<typeof credentialRotation>;

/**
 * Starts re-setting every tenant's password from the workers' current TENANT_PASSWORD_SECRET; one rotation
 * runs at a time per task queue. The input carries no secret.
 */
export function startCredentialRotation(
  client: Client,
  taskQueue: string,
  options: CredentialRotationOptions,
): Promise<CredentialRotationHandle> {
  return startRollout<CredentialRotationInput>(client, {
    workflowType: 'credentialRotation',
    workflowId: credentialRotationWorkflowId(taskQueue),
    taskQueue,
    input: options,
    summary: 'Credential rotation (TENANT_PASSWORD_SECRET)',
    details:
      `Every tenant role's password re-set from the workers' current TENANT_PASSWORD_SECRET: ` +
      `${options.concurrency} at a time in batches of ${options.batchSize ?? DEFAULT_BATCH_SIZE}, ` +
      `${options.maxAttempts} attempts per tenant.`,
    what: 'credential rotation',
    command: 'rotate-credentials',
  });
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
