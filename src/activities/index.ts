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

export interface ActivityDeps {
  provider: DatabaseProvider;
  migrations: Migration[];
  clerk: ClerkClient;
}

/** Picks the region the user asked for when the provider has it, else the provider's default. */
async function chooseRegion(provider: DatabaseProvider, requested: string | undefined): Promise<string> {
  const regions = await provider.regions();
  if (requested && regions.includes(requested)) return requested;
  if (requested) log.warn('requested region not offered by provider; using default', { requested, regions });
  return regions[0]!;
}

/** Activities that touch tenant databases; they run on the main task queue. */
export function createDatabaseActivities({ provider, migrations }: Omit<ActivityDeps, 'clerk'>) {
  return {
    createDatabase: withFailureMapping(async (input: { userId: string; region?: string }): Promise<TenantDatabase> => {
      const region = await chooseRegion(provider, input.region);
      return provider.create(input.userId, { region });
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
