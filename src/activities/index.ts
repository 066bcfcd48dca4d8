import { log } from '@temporalio/activity';
import {
  clerkUserExists,
  recordDatabaseMetadata,
  recordDatabaseStatusIfUserExists,
  type ClerkClient,
  type DatabaseMetadata,
} from '../clerk/client.js';
import { applyMigrations, type Migration } from '../migrations/index.js';
import type { DatabaseProvider, TenantDatabase } from '../providers/types.js';
import { withFailureMapping } from './failures.js';
import { chooseRegion, type RegionByCountry, type RegionChoice, type RegionHints } from './region.js';

export interface ActivityDeps {
  provider: DatabaseProvider;
  migrations: Migration[];
  clerk: ClerkClient;
  /** REGION_BY_COUNTRY: the operator's country → region names, tried before the built-in table. */
  regionByCountry?: RegionByCountry;
}

/** The tenant database and why it is in its region (recorded on the workflow and on Clerk). */
export type PlacedDatabase = TenantDatabase & Omit<RegionChoice, 'region'>;

/** Activities that touch tenant databases; they run on the main task queue. */
export function createDatabaseActivities({ provider, migrations, regionByCountry }: Omit<ActivityDeps, 'clerk'>) {
  return {
    createDatabase: withFailureMapping(async (input: { userId: string } & RegionHints): Promise<PlacedDatabase> => {
      const { userId, ...hints } = input;
      const { region, ...why } = chooseRegion(await provider.regions(), hints, regionByCountry);
      if (why.regionIgnored) log.warn('sign-up region ignored', { userId, reason: why.regionIgnored, region });
      return { ...(await provider.create(userId, { region })), ...why };
    }),
    applyMigrations: withFailureMapping(
      async (db: TenantDatabase): Promise<{ schemaVersion: number; applied: number[] }> => {
        const result = await applyMigrations(await provider.adminConnection(db), migrations);
        return { schemaVersion: result.toVersion, applied: result.applied };
      },
    ),
  };
}

/** Activities that call Clerk; they run on their own, rate-limited task queue. */
export function createClerkActivities({ clerk }: Pick<ActivityDeps, 'clerk'>) {
  return {
    recordOnClerk: withFailureMapping(async (userId: string, database: DatabaseMetadata): Promise<void> => {
      await recordDatabaseMetadata(clerk, userId, database);
    }),
    /** Provisioning asks before creating anything: a `user.created` arriving after the delete must not. */
    clerkUserExists: withFailureMapping((userId: string): Promise<boolean> => clerkUserExists(clerk, userId)),
    /** Deprovisioning's record: only `status` changes, and a user already gone (404) counts as done. */
    recordDatabaseStatusIfUserExists: withFailureMapping(
      (userId: string, status: DatabaseMetadata['status']): Promise<boolean> =>
        recordDatabaseStatusIfUserExists(clerk, userId, status),
    ),
  };
}

export type DatabaseActivities = ReturnType<typeof createDatabaseActivities>;
export type ClerkActivities = ReturnType<typeof createClerkActivities>;
