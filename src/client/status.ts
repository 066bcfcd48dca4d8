import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import type { ClerkClient } from '../clerk/client.js';
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
  /**
   * `temporal`: the workflows' state (its schema version the current one Clerk records, after any rollout);
   * `clerk`: Temporal no longer has the runs (past retention), so Clerk's record is the answer.
   */
  source: 'temporal' | 'clerk';
}

/** Clerk's `publicMetadata.database`, which anyone with Clerk dashboard access can edit: checked, not trusted. */
const clerkDatabaseRecord = z.object({
  status: z.enum(['ready', 'deleting', 'deleted', 'failed']),
  provider: z.enum(['postgres', 'xata', 'xata-lite']),
  name: z.string(),
  region: z.string(),
  regionSource: z.enum(['sign-up', 'ip', 'default']).optional(),
  regionIgnored: z.string().optional(),
  schemaVersion: z.number().int().nonnegative(),
  provisionedAt: z.string(),
});

/** The user's database as Clerk records it; undefined when there is none, the user is gone or Clerk cannot say. */
async function clerkRecord(clerk: ClerkClient, userId: string) {
  try {
    const user = await clerk.users.getUser(userId);
    const parsed = clerkDatabaseRecord.safeParse(user.publicMetadata.database);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
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
  clerk?: ClerkClient,
): Promise<DatabaseStatus | null> {
  const [temporal, recorded] = await Promise.all([
    temporalStatus(client, config, userId),
    clerk ? clerkRecord(clerk, userId) : undefined,
  ]);
  if (temporal) {
    // A fleet rollout migrates the database after provisioning closed and records the new version on Clerk.
    if (temporal.database && recorded?.name === temporal.database.name) {
      temporal.database = { ...temporal.database, schemaVersion: recorded.schemaVersion };
    }
    return temporal;
  }
  if (!recorded) return null;
  const { status, ...database } = recorded;
  const workflowId = provisionWorkflowId(userId);
  return {
    userId,
    status,
    database: status === 'deleted' ? null : database,
    steps: [],
    workflowId,
    temporalUiUrl: temporalUiUrl(config, workflowId),
    source: 'clerk',
  };
}

/** The state the workflows hold; null when Temporal has neither run (never started, or past retention). */
async function temporalStatus(client: Client, config: CommonConfig, userId: string): Promise<DatabaseStatus | null> {
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
      source: 'temporal',
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
    source: 'temporal',
  };
}
