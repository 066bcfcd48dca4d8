import { heartbeat } from '@temporalio/activity';
import { existingUserIds, listUserPage, type ClerkClient, type ClerkUserPage } from '../clerk/client.js';
import { userIdFromTenantDatabaseName } from '../providers/tenant-names.js';
import type { DatabaseProvider } from '../providers/types.js';

/**
 * How reconciliation repairs a user: the same starters the webhook receiver uses (workflow ids keyed by the
 * user, so a repair never doubles a run). Injected by the worker, which holds the Temporal client.
 */
export interface RepairStarters {
  provision(userId: string): Promise<{ outcome: string }>;
  /** Absent when this build has no deprovisioning workflow: orphans are then only reported. */
  deprovision?(userId: string): Promise<unknown>;
}

export interface RepairResult {
  userId: string;
  /** The starter's outcome (`started`, `already-provisioned`…), or undefined when it failed. */
  outcome?: string;
  error?: string;
}

async function startEach(userIds: string[], start: (userId: string) => Promise<unknown>): Promise<RepairResult[]> {
  const results: RepairResult[] = [];
  for (const userId of userIds) {
    heartbeat();
    try {
      const answer = (await start(userId)) as { outcome?: unknown } | undefined;
      results.push({ userId, outcome: typeof answer?.outcome === 'string' ? answer.outcome : 'started' });
    } catch (error) {
      results.push({ userId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

/** Reconciliation's activities on the main task queue: the provider's side, and starting repairs. */
export function createReconcileActivities({
  provider,
  starters,
}: {
  provider: DatabaseProvider;
  starters: RepairStarters;
}) {
  return {
    /** Which of these users have a tenant database (one scan of the provider's list; ids only kept). */
    usersWithDatabase: async (userIds: string[]): Promise<string[]> => {
      const wanted = new Set(userIds);
      const found: string[] = [];
      for await (const db of provider.list()) {
        const userId = userIdFromTenantDatabaseName(db.name);
        if (userId !== undefined && wanted.has(userId)) found.push(userId);
      }
      return found;
    },
    startProvisioningFor: (userIds: string[]) => startEach(userIds, (userId) => starters.provision(userId)),
    startDeprovisioningFor: async (userIds: string[]): Promise<RepairResult[]> => {
      const deprovision = starters.deprovision;
      if (!deprovision) return userIds.map((userId) => ({ userId, error: 'this build cannot deprovision' }));
      return startEach(userIds, (userId) => deprovision(userId));
    },
  };
}

/** Reconciliation's Clerk reads; they run on the rate-limited Clerk task queue, two Clerk requests each. */
export function createReconcileClerkActivities({ clerk }: { clerk: ClerkClient }) {
  return {
    listClerkUsers: (page: { offset: number; limit: number }): Promise<ClerkUserPage> => listUserPage(clerk, page),
    liveClerkUsers: (userIds: string[]): Promise<string[]> => existingUserIds(clerk, userIds),
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
export type ReconcileClerkActivities = ReturnType<typeof createReconcileClerkActivities>;
