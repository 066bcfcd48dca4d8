import { ApplicationFailure, continueAsNew, patched, proxyActivities } from '@temporalio/workflow';
import type { FleetActivities, FleetClerkActivities } from '../activities/fleet.js';
import { fleetClerkOptions, tenantListingOptions, tenantMigrationOptions } from './activity-options.js';
import type {
  FleetMigrationInput,
  FleetReport,
  TenantMigrationInput,
  TenantMigrationResult,
} from './fleet-migration-state.js';
import { clerkMayBeBehind, failureMessage, rolloutInputProblems, runRollout } from './fleet-rollout.js';

/** The activities: listing waits out outages; a tenant gets `maxAttempts` tries. */
export function fleetActivities(maxAttempts: number) {
  return {
    listing: proxyActivities<FleetActivities>(tenantListingOptions),
    tenant: proxyActivities<FleetActivities>(tenantMigrationOptions(maxAttempts)),
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
  return runRollout(
    input,
    {
      title: `Schema rollout to v${targetVersion}`,
      stage: 'migrate',
      targetVersion,
      async run(tenant) {
        const result = await acts.tenant.migrateTenant({ tenant, targetVersion });
        const clerkSchemaVersion = updateClerk && clerkMayBeBehind(result) ? result.toVersion : undefined;
        return { changed: result.applied.length > 0, clerkSchemaVersion };
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
