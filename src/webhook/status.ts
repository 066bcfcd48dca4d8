import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import { provisionStatusQuery } from '../workflows/provision.js';
import { provisionWorkflowId, type ProvisionState } from '../workflows/provision-state.js';
import { withTemporalDeadline } from './temporal.js';

export interface DatabaseStatus {
  userId: string;
  status: ProvisionState['status'];
  database: ProvisionState['database'];
  steps: ProvisionState['steps'];
  workflowId: string;
  temporalUiUrl: string;
}

export function temporalUiUrl(config: Config, workflowId: string): string {
  const ns = encodeURIComponent(config.temporal.namespace);
  return `${config.temporal.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * A user's provisioning state, from Temporal: a running workflow answers its status query; a completed one
 * its result (read from history, no worker needed); a failed one its query when a worker can replay it.
 * `null` when no provisioning workflow exists for the user.
 */
export async function databaseStatus(client: Client, config: Config, userId: string): Promise<DatabaseStatus | null> {
  const workflowId = provisionWorkflowId(userId);
  const handle = client.workflow.getHandle(workflowId);
  const state = await withTemporalDeadline(client, async (): Promise<ProvisionState | null> => {
    let description;
    try {
      description = await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
    const name = description.status.name;
    if (name === 'COMPLETED') return (await handle.result()) as ProvisionState;
    try {
      return await handle.query(provisionStatusQuery);
    } catch {
      // No worker to answer yet: report what Temporal itself knows.
      if (name === 'RUNNING') return { userId, status: 'provisioning', steps: [], database: null };
      return { userId, status: 'failed', steps: [], database: null };
    }
  });
  if (!state) return null;
  return {
    userId,
    status: state.status,
    database: state.database,
    steps: state.steps,
    workflowId,
    temporalUiUrl: temporalUiUrl(config, workflowId),
  };
}
