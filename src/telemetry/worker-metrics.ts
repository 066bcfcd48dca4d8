import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ClerkRateLimitError } from '../clerk/client.js';
import type { TenantMigration } from '../activities/fleet.js';
import type { TenantOutcome } from '../activities/tenant-batch.js';
import type { WorkflowOutcomeSinks } from './workflow-interceptors.js';

/** The worker's own metrics (the Temporal SDK's are merged in when served: see metrics-server.ts). */
export const workerRegistry = new Registry();

/** Steps take milliseconds (PostgreSQL) to minutes (a Xata branch, a Clerk wait): buckets span both. */
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const activities = new Counter({
  name: 'per_user_db_activity_executions_total',
  help: 'Activity attempts by activity type, task queue and outcome (completed, failed, cancelled)',
  labelNames: ['activity', 'task_queue', 'outcome'] as const,
  registers: [workerRegistry],
});
const activitySeconds = new Histogram({
  name: 'per_user_db_activity_duration_seconds',
  help: 'Duration of one activity attempt (one provisioning step) by activity type and outcome',
  labelNames: ['activity', 'outcome'] as const,
  buckets: STEP_BUCKETS,
  registers: [workerRegistry],
});
const inFlight = new Gauge({
  name: 'per_user_db_activities_in_flight',
  help: 'Activity attempts running now on this worker, by activity type',
  labelNames: ['activity'] as const,
  registers: [workerRegistry],
});
const clerkRateLimited = new Counter({
  name: 'per_user_db_clerk_rate_limited_total',
  help: 'Clerk Backend API answers of 429 Too Many Requests (limits are per Clerk instance, so one series)',
  registers: [workerRegistry],
});
const clerkRetryAfter = new Histogram({
  name: 'per_user_db_clerk_retry_after_seconds',
  help: "The wait Clerk asked for (Retry-After) on each 429, which becomes the activity's next retry delay",
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 120],
  registers: [workerRegistry],
});
const FLEET_OUTCOMES = ['migrated', 'already_current', 'failed', 'cancelled'] as const;
const fleetTenants = new Counter({
  name: 'per_user_db_fleet_tenants_migrated_total',
  help: 'Tenant databases a fleet migration brought to its target schema version, by outcome',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});
// Zero from the start, so a rate over them means something before the first fleet migration.
for (const outcome of FLEET_OUTCOMES) fleetTenants.inc({ outcome }, 0);
const fleetTargetVersion = new Gauge({
  name: 'per_user_db_fleet_target_schema_version',
  help: 'The schema version the latest fleet migration on this worker migrates tenants to',
  registers: [workerRegistry],
});
const workflowRuns = new Counter({
  name: 'per_user_db_workflow_runs_total',
  help: 'Closed workflow runs by workflow type and outcome (provisionDatabase: ready, deleted, failed, cancelled)',
  labelNames: ['workflow', 'outcome'] as const,
  registers: [workerRegistry],
});
const workflowSeconds = new Histogram({
  name: 'per_user_db_workflow_duration_seconds',
  help: 'From the workflow start to its close, by workflow type and outcome (provisionDatabase/ready: time to ready)',
  labelNames: ['workflow', 'outcome'] as const,
  buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  registers: [workerRegistry],
});

const outcomeOf = (error: unknown) =>
  error instanceof Error && error.name === 'CancelledFailure' ? 'cancelled' : 'failed';

/**
 * Records every activity attempt. Registered innermost (after the failure mapping), so it sees our adapters'
 * own errors — a Clerk 429 with its Retry-After — before they become Temporal failures.
 */
export const recordActivityMetrics: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const { activityType: activity, taskQueue } = ctx.info;
      inFlight.inc({ activity });
      const stop = activitySeconds.startTimer({ activity });
      try {
        const result = await next(input);
        stop({ outcome: 'completed' });
        activities.inc({ activity, task_queue: taskQueue, outcome: 'completed' });
        if (activity === 'migrateTenant')
          recordFleetStep(input.args[0] as { targetVersion: number }, [result as TenantMigration]);
        if (activity === 'migrateTenants') recordFleetBatch(input.args[0] as { targetVersion: number }, result);
        return result;
      } catch (error) {
        const outcome = outcomeOf(error);
        stop({ outcome });
        activities.inc({ activity, task_queue: taskQueue, outcome });
        if (error instanceof ClerkRateLimitError) {
          clerkRateLimited.inc();
          if (error.retryAfterMs !== undefined) clerkRetryAfter.observe(error.retryAfterMs / 1000);
        }
        if (activity === 'migrateTenant') fleetTenants.inc({ outcome });
        if (activity === 'migrateTenants')
          fleetTenants.inc({ outcome }, (input.args[0] as { tenants: [] }).tenants.length);
        throw error;
      } finally {
        inFlight.dec({ activity });
      }
    },
  },
});

function recordFleetStep(input: { targetVersion: number }, results: TenantMigration[]) {
  fleetTargetVersion.set(input.targetVersion);
  for (const result of results) {
    fleetTenants.inc({ outcome: result.applied.length === 0 ? 'already_current' : 'migrated' });
  }
}

/** A batch's tenants, each by its outcome (a tenant's failure is in the result, not thrown). */
function recordFleetBatch(input: { targetVersion: number }, result: unknown) {
  const outcomes = result as TenantOutcome<TenantMigration>[];
  recordFleetStep(
    input,
    outcomes.flatMap((o) => (o.ok ? [o.result] : [])),
  );
  fleetTenants.inc({ outcome: 'failed' }, outcomes.filter((o) => !o.ok).length);
}

/** The worker side of the workflows' outcome sink: runs outside the sandbox, never during replay. */
export const workflowOutcomeSinks: InjectedSinks<WorkflowOutcomeSinks> = {
  workflowOutcome: {
    closed: {
      fn(info: WorkflowInfo, outcome: string) {
        const labels = { workflow: info.workflowType, outcome };
        workflowRuns.inc(labels);
        workflowSeconds.observe(labels, (Date.now() - info.startTime.getTime()) / 1000);
      },
    },
  },
};
