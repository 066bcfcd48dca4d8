import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import { recordSchemaVersion, type ClerkClient } from '../clerk/client.js';
import type { ProviderName } from '../config/index.js';
import { applyMigrations, latestVersion, type Migration } from '../migrations/index.js';
import { userIdFromTenantDatabaseName } from '../providers/tenant-names.js';
import type { DatabaseProvider, TenantDatabase } from '../providers/types.js';
import { whileHeartbeating } from './heartbeat.js';
import { forEachTenant, type TenantOutcome } from './tenant-batch.js';

/** One tenant as the fleet migration carries it: names only, never a credential. */
export interface TenantRef {
  name: string;
  userId: string;
  region: string;
}

export interface TenantPage {
  provider: ProviderName;
  /** Up to `limit` tenants whose names sort after the cursor, in name order. */
  tenants: TenantRef[];
  /** How many tenants sort after the cursor right now, this page included (how much is left to do). */
  remaining: number;
}

export interface TenantMigration {
  fromVersion: number;
  toVersion: number;
  /** Versions this call applied; empty when the tenant was already up to date. */
  applied: number[];
  /**
   * Which attempt this was. After a retry an empty `applied` is ambiguous: the attempt that died (a killed
   * worker) may have committed the migration without reporting it.
   */
  attempt: number;
}

const byName = (a: TenantRef, b: TenantRef) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Activities of fleet migrations that touch tenant databases; they run on the main task queue. */
export function createFleetActivities({
  provider,
  migrations,
}: {
  provider: DatabaseProvider;
  migrations: Migration[];
}) {
  async function* tenants(): AsyncGenerator<TenantRef> {
    for await (const db of provider.list()) {
      const userId = userIdFromTenantDatabaseName(db.name);
      if (userId !== undefined) yield { name: db.name, userId, region: db.region };
    }
  }

  function refuseIfBehind(targetVersion: number): void {
    const available = latestVersion(migrations);
    if (available < targetVersion) {
      throw ApplicationFailure.create({
        type: 'WorkerBehind',
        message:
          `This worker's migrations end at version ${available}, the rollout targets version ` +
          `${targetVersion}: deploy the release with the new migration files to every worker`,
      });
    }
  }

  /** `signal`: the activity's cancel (a worker shutting down past its grace time) stops the migration's SQL. */
  async function migrate(tenant: TenantDatabase, signal: AbortSignal): Promise<TenantMigration> {
    const result = await applyMigrations(await provider.adminConnection(tenant), migrations, { signal });
    return {
      fromVersion: result.fromVersion,
      toVersion: result.toVersion,
      applied: result.applied,
      attempt: activityInfo().attempt,
    };
  }

  async function rotate(tenant: TenantDatabase): Promise<{ existed: boolean }> {
    if (!provider.rotateCredentials) {
      throw ApplicationFailure.nonRetryable(
        `The ${provider.name} provider keeps tenant credentials itself: there is nothing to rotate`,
        'Unsupported',
      );
    }
    const userId = userIdFromTenantDatabaseName(tenant.name);
    if (userId === undefined) {
      throw ApplicationFailure.nonRetryable(`"${tenant.name}" is not a tenant database name`, 'InvalidName');
    }
    return provider.rotateCredentials(userId);
  }

  return {
    /**
     * The next `limit` tenants after `after`, in name order. `list()` has no cursor of its own, so this scans
     * the provider's list and keeps the smallest names past the cursor: memory stays at two pages, and the
     * scan also counts what is left.
     */
    listTenantPage: async (input: { after: string; limit: number }): Promise<TenantPage> => {
      return whileHeartbeating(async () => {
        let kept: TenantRef[] = [];
        let remaining = 0;
        for await (const tenant of tenants()) {
          if (tenant.name <= input.after) continue;
          remaining++;
          kept.push(tenant);
          if (kept.length >= 2 * input.limit) kept = kept.sort(byName).slice(0, input.limit);
        }
        return { provider: provider.name, tenants: kept.sort(byName).slice(0, input.limit), remaining };
      });
    },

    /** The user's tenant database, or null when the provider holds none for them. */
    findTenant: async (userId: string): Promise<TenantDatabase | null> => {
      return whileHeartbeating(async () => {
        for await (const tenant of tenants()) {
          if (tenant.userId === userId) return { provider: provider.name, name: tenant.name, region: tenant.region };
        }
        return null;
      });
    },

    /**
     * Brings one tenant to (at least) `targetVersion` in one transaction (src/migrations): it ends at its old
     * version or the new one, never in between. A worker holding older migration files refuses, retryably,
     * so a worker of the new release picks the tenant up.
     */
    migrateTenant: async (input: { tenant: TenantDatabase; targetVersion: number }): Promise<TenantMigration> => {
      refuseIfBehind(input.targetVersion);
      return whileHeartbeating((signal) => migrate(input.tenant, signal));
    },

    /**
     * `migrateTenant` for several tenants in turn, one outcome each (src/activities/tenant-batch.ts): a retry
     * resumes after the last tenant its heartbeat recorded. A worker behind refuses the whole batch.
     */
    migrateTenants: async (input: {
      tenants: TenantDatabase[];
      targetVersion: number;
    }): Promise<TenantOutcome<TenantMigration>[]> => {
      refuseIfBehind(input.targetVersion);
      return forEachTenant(input.tenants, migrate);
    },

    /**
     * Gives one tenant role the password derived from this worker's current TENANT_PASSWORD_SECRET; answers
     * whether the tenant was there. The secret stays in the worker: neither input nor result carries it.
     */
    rotateTenantCredentials: rotate,

    /** `rotateTenantCredentials` for several tenants in turn, one outcome each, resumable like `migrateTenants`. */
    rotateTenantsCredentials: (tenants: TenantDatabase[]): Promise<TenantOutcome<{ existed: boolean }>[]> =>
      forEachTenant(tenants, rotate),
  };
}

/** The fleet migration's Clerk call; it runs on the rate-limited Clerk task queue. */
export function createFleetClerkActivities({ clerk }: { clerk: ClerkClient }) {
  return {
    recordSchemaVersionOnClerk: async (userId: string, schemaVersion: number): Promise<void> => {
      await recordSchemaVersion(clerk, userId, schemaVersion);
    },
  };
}

export type FleetActivities = ReturnType<typeof createFleetActivities>;
export type FleetClerkActivities = ReturnType<typeof createFleetClerkActivities>;
