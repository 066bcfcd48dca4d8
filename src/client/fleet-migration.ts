import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { fleetMigration, migrateTenantDatabase } from '../workflows/fleet-migration.js';
import {
  cancelFleetMigration,
  DEFAULT_BATCH_SIZE,
  fleetMigrationWorkflowId,
  fleetProgressQuery,
  pauseFleetMigration,
  resumeFleetMigration,
  tenantMigrationWorkflowId,
  type FleetMigrationInput,
  type FleetMigrationOptions,
  type FleetProgress,
  type FleetReport,
  type TenantMigrationInput,
} from '../workflows/fleet-migration-state.js';
import { STATUS } from '../workflows/search-attributes.js';
import { queryIfAnswered } from './connection.js';
import type { WorkflowName } from './workflow-name.js';

export type FleetMigrationHandle = WorkflowHandle<typeof fleetMigration>;

/** The migration files' newest version, and its file name for the summary. */
export interface MigrationTarget {
  version: number;
  file: string;
}

/** Starts a rollout to `target`; only one runs at a time per task queue. */
export function startFleetMigration(
  client: Client,
  taskQueue: string,
  target: MigrationTarget,
  options: FleetMigrationOptions,
): Promise<FleetMigrationHandle> {
  return startRollout<FleetMigrationInput>(client, {
    workflowType: 'fleetMigration',
    workflowId: fleetMigrationWorkflowId(taskQueue),
    taskQueue,
    input: { targetVersion: target.version, ...options },
    summary: `Schema rollout to v${target.version} (${target.file})`,
    details:
      `Every tenant database to schema v${target.version}: ${options.concurrency} at a time in batches of ` +
      `${options.batchSize ?? DEFAULT_BATCH_SIZE}, ` +
      `${options.maxAttempts} attempts per tenant, Clerk schemaVersion ${options.updateClerk ? 'updated' : 'left alone'}.`,
    what: 'fleet migration',
    command: 'migrate',
  });
}

/** A tenant rollout's workflow: one input, a fleet report. */
export type RolloutWorkflow<I> = (input: I) => Promise<FleetReport>;

/** How one tenant rollout (fleet migration, credential rotation) starts, and what names it when refused. */
export interface RolloutStart<I> {
  workflowType: WorkflowName;
  workflowId: string;
  taskQueue: string;
  input: I;
  summary: string;
  details: string;
  /** Its name in the refusal (`fleet migration`), and the CLI command that controls it (`migrate`). */
  what: string;
  command: string;
}

/** Starts a tenant rollout; only one runs at a time per workflow ID: a second start while one is open is refused. */
export async function startRollout<I>(
  client: Client,
  start: RolloutStart<I>,
): Promise<WorkflowHandle<RolloutWorkflow<I>>> {
  try {
    return await client.workflow.start<RolloutWorkflow<I>>(start.workflowType, {
      workflowId: start.workflowId,
      taskQueue: start.taskQueue,
      args: [start.input],
      // One rollout at a time: a second start while one is open is refused; a new one after it closed is fine.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [{ key: STATUS, value: 'running' }],
      staticSummary: start.summary,
      staticDetails: start.details,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `A ${start.what} is already running (workflow ${start.workflowId}); only one runs at a time. Watch it with ` +
          `\`per-user-db ${start.command} status --watch\`, or pause, resume or cancel it.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Migrates one tenant now (a retry of a failed tenant); asking twice while it runs attaches to the same run. */
export function startTenantMigration(
  client: Client,
  taskQueue: string,
  input: TenantMigrationInput,
): Promise<WorkflowHandle<typeof migrateTenantDatabase>> {
  return client.workflow.start<typeof migrateTenantDatabase>('migrateTenantDatabase' satisfies WorkflowName, {
    workflowId: tenantMigrationWorkflowId(input.userId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Schema migration of ${input.userId} to v${input.targetVersion}`,
  });
}

/** The latest rollout and its Temporal status (`RUNNING`, `COMPLETED`, …), or `null` when none ever ran. */
export function lastFleetMigration(
  client: Client,
  taskQueue: string,
): Promise<{ handle: FleetMigrationHandle; status: string } | null> {
  return lastRollout(client, fleetMigrationWorkflowId(taskQueue));
}

/** The latest run of a tenant rollout (fleet migration, credential rotation) by its fixed workflow ID. */
export async function lastRollout(
  client: Client,
  workflowId: string,
): Promise<{ handle: FleetMigrationHandle; status: string } | null> {
  const handle = client.workflow.getHandle<typeof fleetMigration>(workflowId);
  try {
    return { handle, status: (await handle.describe()).status.name };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** The rollout's progress, or `undefined` when no worker answers right now. */
export function fleetMigrationProgress(
  client: Client,
  handle: FleetMigrationHandle,
): Promise<FleetProgress | undefined> {
  return queryIfAnswered(client, handle, (h) => h.query(fleetProgressQuery));
}

const CONTROLS = { pause: pauseFleetMigration, resume: resumeFleetMigration, cancel: cancelFleetMigration };
export type FleetControl = keyof typeof CONTROLS;

/**
 * Pauses, resumes or cancels the running rollout: an update, so the answer is its state once the workflow took
 * it. A clear error when no rollout is running or the workflow refused.
 */
export function controlFleetMigration(
  client: Client,
  taskQueue: string,
  control: FleetControl,
): Promise<FleetProgress> {
  return controlRollout(client, fleetMigrationWorkflowId(taskQueue), control, 'fleet migration');
}

/** Pauses, resumes or cancels the running tenant rollout of `workflowId` (`what` names it in errors). */
export async function controlRollout(
  client: Client,
  workflowId: string,
  control: FleetControl,
  what: string,
): Promise<FleetProgress> {
  const last = await lastRollout(client, workflowId);
  if (!last) throw new Error(`No ${what} is running (none ever ran)`);
  if (last.status !== 'RUNNING') {
    throw new Error(`No ${what} is running (the last one is ${last.status.toLowerCase()})`);
  }
  try {
    return await last.handle.executeUpdate(CONTROLS[control]);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      throw new Error(error.cause?.message ?? error.message, { cause: error });
    }
    throw error;
  }
}
