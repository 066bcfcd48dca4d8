/**
 * Every workflow's activity options in one place: timeouts and retry policies, named for the work they pace.
 * Workflow code: no Node or SDK imports beyond `@temporalio/workflow`.
 */
import {
  ActivityCancellationType,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import { clerkBulkTaskQueue, clerkTaskQueue } from './provision-state.js';

/** Errors no retry can fix; everything else is retried until it works (a database outage is waited out). */
export const PERMANENT_ERROR_TYPES = [
  'InvalidName',
  'BadCredentials',
  'NotFound',
  'InvalidRequest',
  'MigrationChecksum',
];

/** Clerk refuses our key, or the user is gone: retrying cannot help. */
const CLERK_PERMANENT_ERROR_TYPES = ['ClerkAuth', 'ClerkUserNotFound'];

/** One user's database steps: quick first retry, then back off to 30 s, until it works or fails for good. */
const userDatabaseRetry: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: PERMANENT_ERROR_TYPES,
};

/** Scans of the whole fleet (the provider's list): they wait out outages. */
const scanRetry: RetryPolicy = {
  initialInterval: '1s',
  maximumInterval: '30s',
  nonRetryableErrorTypes: PERMANENT_ERROR_TYPES,
};

const clerkRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: CLERK_PERMANENT_ERROR_TYPES,
};

/**
 * Clerk calls run on their own task queue, which the worker rate-limits server-side for the whole fleet. A call
 * takes well under a second; the bound is what a call in flight on a worker that died (or a Clerk that hangs)
 * costs before it is retried elsewhere.
 */
const onClerkTaskQueue = () => ({ taskQueue: clerkTaskQueue(workflowInfo().taskQueue), startToCloseTimeout: '15s' });

// On cancellation (the user was deleted), provisioning waits for an in-flight activity to finish rather than
// abandon it, so the run closes only once nothing can still create the database that deprovisioning drops.

/**
 * Provisioning's database steps in runs older than `database-steps-local`, and the drop when the Clerk user is
 * gone. They heartbeat every 2 s, so a worker that dies mid-step is noticed within the heartbeat timeout and the
 * step retried elsewhere, and a cancel (the user was deleted) reaches the SQL.
 */
export const provisionOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: userDatabaseRetry,
};

/**
 * Provisioning's database steps as local activities (runs since `database-steps-local`): they run in the workflow
 * task that asks for them, so no server round trip per step. A local activity cannot heartbeat: a worker that dies
 * mid-step is noticed when its workflow task times out (10 s) and the step re-runs on the worker that takes the
 * task over. Retries back off inside the worker until the next wait would exceed `localRetryThreshold`, then as
 * server timers, so a database outage is waited out (as long as it lasts) without holding a workflow task open.
 * A cancel reaches the SQL through the worker, and the run waits for the step to stop (see above).
 */
export const provisionLocalOptions: LocalActivityOptions = {
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '5s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: userDatabaseRetry,
};

/** Provisioning's and deprovisioning's Clerk calls (call from workflow code: the queue follows the run's). */
export const userClerkOptions = (): ActivityOptions => ({
  ...onClerkTaskQueue(),
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: clerkRetry,
});

/** Deprovisioning's database steps. */
export const deprovisionOptions: ActivityOptions = { startToCloseTimeout: '2 minutes', retry: userDatabaseRetry };

/** Waiting for the provisioning run to close can take as long as its in-flight activity; it heartbeats. */
export const stopProvisioningOptions: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30s',
  retry: userDatabaseRetry,
};

/** Reconciliation's provider scan and repair starts. */
export const reconcileOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: scanRetry,
};

/** Reconciliation's Clerk reads (pages of users, which of some ids still exist). */
export const reconcileClerkOptions = (): ActivityOptions => ({
  ...onClerkTaskQueue(),
  retry: { ...scanRetry, maximumInterval: '1 minute', nonRetryableErrorTypes: ['ClerkAuth'] },
});

/** The fleet migration's listing of tenants (and finding one). */
export const tenantListingOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30s',
  retry: scanRetry,
};

/**
 * Migrating (or rotating) one tenant or a batch: `maxAttempts` tries; a migration that fails on its SQL fails
 * the same way every time. A batch answers each tenant's own error in its result, so what fails a batch is its
 * worker (killed, timed out, behind the release); its retry resumes after the tenants its heartbeat recorded,
 * so the 30 minutes bound an attempt, not the batch.
 */
export const tenantMigrationOptions = (maxAttempts: number): ActivityOptions => ({
  // A big tenant may take long; a dead worker is noticed by the heartbeat timeout instead.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: maxAttempts,
    nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES, 'MigrationFailed', 'MigrationHistory'],
  },
});

/**
 * The fleet migration's Clerk writes: bounded, so one unwritable user cannot hold the rollout. `bulk`: on the
 * bulk Clerk queue (runs since `clerk-bulk-task-queue`), so a rollout's writes never queue ahead of sign-ups'.
 */
export const fleetClerkOptions = (bulk = false): ActivityOptions => ({
  ...onClerkTaskQueue(),
  ...(bulk ? { taskQueue: clerkBulkTaskQueue(workflowInfo().taskQueue) } : {}),
  retry: { ...clerkRetry, maximumAttempts: 10 },
});
