import { ApplicationFailure, continueAsNew, patched, proxyActivities } from '@temporalio/workflow';
import type { FleetActivities, FleetClerkActivities, TenantMigration } from '../activities/fleet.js';
import { fleetClerkOptions, tenantListingOptions, tenantMigrationOptions } from './activity-options.js';
import type {
  FleetMigrationInput,
  FleetReport,
  TenantMigrationInput,
  TenantMigrationResult,
} from './fleet-migration-state.js';
import {
  batchSummary,
  clerkMayBeBehind,
  failureMessage,
  mapOutcomes,
  rolloutInputProblems,
  runRollout,
} from './fleet-rollout.js';

/**
 * The activities: listing waits out outages; a tenant (or a batch) gets `maxAttempts` tries, a tenant retried
 * alone after its batch one fewer (the batch was its first).
 */
export function fleetActivities(maxAttempts: number) {
  return {
    listing: proxyActivities<FleetActivities>(tenantListingOptions),
    tenant: proxyActivities<FleetActivities>(tenantMigrationOptions(maxAttempts)),
    retry: proxyActivities<FleetActivities>(tenantMigrationOptions(Math.max(1, maxAttempts - 1))),
    clerk: proxyActivities<FleetClerkActivities>(fleetClerkOptions(patched('clerk-bulk-task-queue'))),
  };
}

function validate(input: FleetMigrationInput): void {
  const problems = rolloutInputProblems(input);
  if (!Number.isInteger(input.targetVersion) || input.targetVersion < 1) problems.push('targetVersion must be ≥ 1');
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), 'InvalidInput');
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
  const acts = fleetActivities(input.maxAttempts);
  const { targetVersion, updateClerk } = input;
  const counted = (result: TenantMigration, retried = false) => ({
    changed: result.applied.length > 0,
    clerkSchemaVersion: updateClerk && (retried || clerkMayBeBehind(result)) ? result.toVersion : undefined,
  });
  return runRollout(
    input,
    {
      title: `Schema rollout to v${targetVersion}`,
      stage: 'migrate',
      targetVersion,
      async run(tenant, retried = false) {
        if (!retried) return counted(await acts.tenant.migrateTenant({ tenant, targetVersion }));
        const summary = { summary: `retry ${tenant.name} alone` };
        return counted(await acts.retry.migrateTenant.executeWithOptions(summary, [{ tenant, targetVersion }]), true);
      },
      async runBatch(tenants) {
        const summary = { summary: batchSummary(`migrate to v${targetVersion}`, tenants) };
        return mapOutcomes(
          await acts.tenant.migrateTenants.executeWithOptions(summary, [{ tenants, targetVersion }]),
          counted,
        );
      },
    },
    acts,
    (carried) => continueAsNew<typeof fleetMigration>({ ...input, carried }),
  );
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
