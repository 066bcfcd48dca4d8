import { log } from '@temporalio/activity';
import {
  ClerkUserNotFoundError,
  clerkUserExists,
  recordDatabaseMetadata,
  recordDatabaseStatusIfUserExists,
  type ClerkClient,
  type DatabaseMetadata,
} from '../clerk/client.js';
import { applyMigrations, type Migration } from '../migrations/index.js';
import type { DatabaseProvider, TenantDatabase } from '../providers/types.js';
import { whileHeartbeating } from './heartbeat.js';
import { chooseRegion, type RegionByCountry, type RegionChoice, type RegionHints } from './region.js';

/** The tenant database and why it is in its region (recorded on the workflow and on Clerk). */
export type PlacedDatabase = TenantDatabase & Omit<RegionChoice, 'region'>;

/** Provisioning's activities that touch tenant databases; they run on the main task queue. */
export function createProvisionActivities({
  provider,
  migrations,
  regionByCountry,
}: {
  provider: DatabaseProvider;
  migrations: Migration[];
  /** REGION_BY_COUNTRY: the operator's country → region names, tried before the built-in table. */
  regionByCountry?: RegionByCountry;
}) {
  return {
    createDatabase: async (input: { userId: string } & RegionHints): Promise<PlacedDatabase> => {
      const { userId, ...hints } = input;
      const { region, ...why } = chooseRegion(await provider.regions(), hints, regionByCountry);
      if (why.regionIgnored) log.warn('sign-up region ignored', { userId, reason: why.regionIgnored, region });
      const db = await whileHeartbeating((signal) => provider.create(userId, { region, signal }));
      return { ...db, ...why };
    },
    applyMigrations: async (db: TenantDatabase): Promise<{ schemaVersion: number; applied: number[] }> => {
      const connection = await provider.adminConnection(db);
      const result = await whileHeartbeating((signal) => applyMigrations(connection, migrations, { signal }));
      return { schemaVersion: result.toVersion, applied: result.applied };
    },
  };
}

/** Provisioning's Clerk calls (deprovisioning's too); they run on their own, rate-limited task queue. */
export function createProvisionClerkActivities({ clerk }: { clerk: ClerkClient }) {
  return {
    recordOnClerk: async (userId: string, database: DatabaseMetadata): Promise<void> => {
      await recordDatabaseMetadata(clerk, userId, database);
    },
    /**
     * The write that also answers whether the user still exists (false: Clerk answered 404), so provisioning
     * needs no separate existence check before it creates anything.
     */
    recordOnClerkIfUserExists: async (userId: string, database: DatabaseMetadata): Promise<boolean> => {
      try {
        await recordDatabaseMetadata(clerk, userId, database);
        return true;
      } catch (error) {
        if (error instanceof ClerkUserNotFoundError) return false;
        throw error;
      }
    },
    /** Runs recorded before `record-checks-clerk-user` ask before creating anything. */
    clerkUserExists: (userId: string): Promise<boolean> => clerkUserExists(clerk, userId),
    /** Deprovisioning's record: only `status` changes, and a user already gone (404) counts as done. */
    recordDatabaseStatusIfUserExists: (userId: string, status: DatabaseMetadata['status']): Promise<boolean> =>
      recordDatabaseStatusIfUserExists(clerk, userId, status),
  };
}

export type ProvisionActivities = ReturnType<typeof createProvisionActivities>;
export type ProvisionClerkActivities = ReturnType<typeof createProvisionClerkActivities>;
