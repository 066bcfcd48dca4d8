import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities, FleetClerkActivities } from '../activities/fleet.js';
import { fleetClerkOptions, tenantListingOptions, tenantMigrationOptions } from './activity-options.js';
import {
  cancelFleetMigration,
  FLEET_LIMITS,
  fleetProgressQuery,
  pauseFleetMigration,
  resumeFleetMigration,
  type FleetCarry,
  type FleetMigrationInput,
  type FleetReport,
  type TenantMigrationInput,
  type TenantMigrationResult,
} from './fleet-migration-state.js';
import { clerkMayBeBehind, failureMessage, Rollout } from './fleet-rollout.js';

/** The activities: listing waits out outages; a tenant gets `maxAttempts` tries. */
function fleetActivities(maxAttempts: number) {
  return {
    listing: proxyActivities<FleetActivities>(tenantListingOptions),
    tenant: proxyActivities<FleetActivities>(tenantMigrationOptions(maxAttempts)),
    clerk: proxyActivities<FleetClerkActivities>(fleetClerkOptions(patched('clerk-bulk-task-queue'))),
  };
}

function validate(input: FleetMigrationInput): void {
  const problems = Object.entries(FLEET_LIMITS).flatMap(([key, [min, max]]) => {
    const value = input[key as keyof typeof FLEET_LIMITS];
    return Number.isInteger(value) && value >= min && value <= max
      ? []
      : [`${key} must be a whole number ${min}–${max}`];
  });
  if (!Number.isInteger(input.targetVersion) || input.targetVersion < 1) problems.push('targetVersion must be ≥ 1');
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), 'InvalidInput');
}

function freshCarry(): FleetCarry {
  return {
    startedAt: new Date().toISOString(),
    activeMs: 0,
    cursor: '',
    counters: { migrated: 0, upToDate: 0, failed: 0, clerkUpdated: 0, clerkFailed: 0 },
    failures: [],
    failuresOmitted: 0,
    paused: false,
    failedAtResume: 0,
    runs: 0,
  };
}

/**
 * Brings every tenant database to `targetVersion`: lists the provider's tenants page by page (in name order),
 * migrates them through a sliding window of `concurrency` activities, records failures without stopping, and
 * writes the new version to Clerk for tenants whose version changed. Pause, resume and cancel are updates;
 * `progress` is a query. Before the history grows large it drains the window and continues as new, carrying
 * the counters and the name cursor, so any fleet size fits.
 */
export async function fleetMigration(input: FleetMigrationInput): Promise<FleetReport> {
  validate(input);
  const carry: FleetCarry = input.carried ?? freshCarry();
  carry.runs++;
  const rollout = new Rollout(input, carry, fleetActivities(input.maxAttempts));
  handleControls(rollout);

  for (;;) {
    const changed = rollout.nextChange();
    const info = workflowInfo();
    rollout.step(info.continueAsNewSuggested || info.historyLength >= input.maxHistoryEvents);
    if (rollout.finished) break;
    if (rollout.readyToRollOver) {
      const carried = rollout.carryOver();
      await condition(allHandlersFinished);
      return continueAsNew<typeof fleetMigration>({ ...input, carried });
    }
    await condition(changed);
  }
  const report = rollout.finish();
  await condition(allHandlersFinished);
  return report;
}

/** The `progress` query and the pause, resume and cancel updates, each answering with the progress. */
function handleControls(rollout: Rollout): void {
  const notWhileCancelling = () => {
    if (rollout.isCancelling) throw new Error('The rollout is being cancelled');
  };
  setHandler(fleetProgressQuery, () => rollout.current());
  setHandler(
    pauseFleetMigration,
    () => {
      rollout.pause('paused by an operator');
      return rollout.current();
    },
    { validator: notWhileCancelling },
  );
  setHandler(
    resumeFleetMigration,
    () => {
      rollout.resume();
      return rollout.current();
    },
    { validator: notWhileCancelling },
  );
  setHandler(cancelFleetMigration, () => {
    rollout.cancel();
    return rollout.current();
  });
}

/**
 * Migrates one user's tenant database now (`per-user-db migrate --user`), the same way the fleet migration
 * does, and records the new version on the Clerk user when it changed.
 */
export async function migrateTenantDatabase(input: TenantMigrationInput): Promise<TenantMigrationResult> {
  const acts = fleetActivities(input.maxAttempts);
  const tenant = await acts.listing.findTenant(input.userId);
  if (!tenant) {
    throw ApplicationFailure.nonRetryable(
      `The provider holds no tenant database for ${input.userId}`,
      'TenantNotFound',
    );
  }
  try {
    const result = await acts.tenant.migrateTenant({ tenant, targetVersion: input.targetVersion });
    if (input.updateClerk && clerkMayBeBehind(result)) {
      await acts.clerk.recordSchemaVersionOnClerk(input.userId, result.toVersion);
    }
    return { userId: input.userId, name: tenant.name, ...result };
  } catch (error) {
    throw ApplicationFailure.create({
      message: failureMessage(error),
      type: 'TenantMigrationFailed',
      nonRetryable: true,
      cause: error instanceof Error ? error : undefined,
    });
  }
}
