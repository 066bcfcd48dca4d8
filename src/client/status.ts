import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { CommonConfig } from '../config/index.js';
import {
  DATABASE_KEPT_STATUSES,
  deprovisionWorkflowId,
  type DeprovisionState,
} from '../workflows/deprovision-state.js';
import { provisionWorkflowId, type ProvisionState } from '../workflows/provision-state.js';
import { temporalUiUrl, withTemporalDeadline } from './connection.js';

/** Both workflows answer this query (`provisionStatusQuery`, `deprovisionStatusQuery`) with their state. */
const STATUS_QUERY = 'status';

export interface DatabaseStatus {
  userId: string;
  /** `deleting` while a deprovisioning run is open (including its grace period), `deleted` once it has dropped. */
  status: ProvisionState['status'] | 'deleting';
  database: ProvisionState['database'];
  steps: ProvisionState['steps'];
  /** The deprovisioning workflow once the user is being deleted, else the provisioning one. */
  workflowId: string;
  temporalUiUrl: string;
}

/**
 * A workflow's state from Temporal: a completed run its result (read from history, no worker needed), any
 * other its status query; `fallback(statusName)` when no worker answers. `null` when there is no such workflow.
 */
async function workflowState<T>(
  handle: WorkflowHandle,
  query: (handle: WorkflowHandle) => Promise<T>,
  fallback: (statusName: string) => T,
): Promise<T | null> {
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  const name = description.status.name;
  if (name === 'COMPLETED') return (await handle.result()) as T;
  try {
    return await query(handle);
  } catch {
    return fallback(name);
  }
}

/**
 * A user's database state, from Temporal: the provisioning run's, unless a deprovisioning run exists (and was
 * not restored), which turns it into `deleting` / `deleted`. `null` when neither workflow exists for the user.
 */
export async function databaseStatus(
  client: Client,
  config: CommonConfig,
  userId: string,
): Promise<DatabaseStatus | null> {
  const [provisioning, deletion] = await withTemporalDeadline(client, () =>
    Promise.all([
      workflowState<ProvisionState>(
        client.workflow.getHandle(provisionWorkflowId(userId)),
        (h) => h.query<ProvisionState>(STATUS_QUERY),
        (name) => ({ userId, status: name === 'RUNNING' ? 'provisioning' : 'failed', steps: [], database: null }),
      ),
      workflowState<Pick<DeprovisionState, 'status'> | { status: 'failed' }>(
        client.workflow.getHandle(deprovisionWorkflowId(userId)),
        (h) => h.query<DeprovisionState>(STATUS_QUERY),
        (name) => ({ status: name === 'RUNNING' ? 'deleting' : 'failed' }),
      ),
    ]),
  );
  const steps = provisioning?.steps ?? [];
  if (deletion && !(DATABASE_KEPT_STATUSES as readonly string[]).includes(deletion.status)) {
    const workflowId = deprovisionWorkflowId(userId);
    const deleted = deletion.status === 'deleted';
    return {
      userId,
      status: deleted ? 'deleted' : deletion.status === 'failed' ? 'failed' : 'deleting',
      database: deleted ? null : (provisioning?.database ?? null),
      steps,
      workflowId,
      temporalUiUrl: temporalUiUrl(config, workflowId),
    };
  }
  if (!provisioning) return null;
  const workflowId = provisionWorkflowId(userId);
  return {
    userId,
    status: provisioning.status,
    database: provisioning.database,
    steps,
    workflowId,
    temporalUiUrl: temporalUiUrl(config, workflowId),
  };
}
