import type { Client } from '@temporalio/client';
import pg from 'pg';
import { TENANT_NAME_PREFIX, tenantDatabaseName, userIdFromTenantDatabaseName } from '../src/providers/tenant-names.js';

export interface UserTruth {
  /** Still an account in Clerk (the stand-in): its last event was user.created. */
  alive: Set<string>;
  /** Every user the run created, alive or deleted since. */
  all: Set<string>;
  /** publicMetadata.database.status and .name per live user, as Clerk holds them. */
  metadata: Map<string, { status?: string; name?: string }>;
}

export interface InvariantCounts {
  /** Live users without a database: lost sign-ups. */
  lostSignUps: number;
  /** Live users whose Clerk metadata is not `ready` with the database's real name. */
  metadataMismatches: number;
  /** Deleted users whose database still exists. */
  notDeleted: number;
  /** Tenant databases whose user this run never created or deleted since (left behind). */
  orphanDatabases: number;
  /** Tenant roles without a live user. */
  orphanRoles: number;
  /** Provisioning or deprovisioning workflows still open. */
  openWorkflows: number;
}

export const held = (counts: InvariantCounts) => Object.values(counts).every((n) => n === 0);

/** Reads the truth from PostgreSQL, Temporal and Clerk, and counts every break of the run's invariants. */
export async function checkInvariants(
  adminUrl: string,
  temporal: Client,
  taskQueue: string,
  users: UserTruth,
): Promise<InvariantCounts> {
  const db = new pg.Client({ connectionString: adminUrl });
  await db.connect();
  let databases: string[];
  let roles: string[];
  try {
    const like = `${TENANT_NAME_PREFIX}%`;
    databases = (
      await db.query<{ n: string }>('SELECT datname AS n FROM pg_database WHERE datname LIKE $1', [like])
    ).rows.map((r) => r.n);
    roles = (await db.query<{ n: string }>('SELECT rolname AS n FROM pg_roles WHERE rolname LIKE $1', [like])).rows.map(
      (r) => r.n,
    );
  } finally {
    await db.end();
  }
  const existing = new Set(databases);
  const ownedBy = (names: string[]) => names.map((n) => userIdFromTenantDatabaseName(n));
  let openWorkflows = 0;
  for await (const _ of temporal.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND WorkflowType IN ('provisionDatabase', 'deprovisionDatabase')`,
  })) {
    openWorkflows += 1;
  }
  const alive = [...users.alive];
  return {
    lostSignUps: alive.filter((id) => !existing.has(tenantDatabaseName(id))).length,
    metadataMismatches: alive.filter((id) => {
      const m = users.metadata.get(id);
      return m?.status !== 'ready' || m.name !== tenantDatabaseName(id);
    }).length,
    notDeleted: [...users.all].filter((id) => !users.alive.has(id) && existing.has(tenantDatabaseName(id))).length,
    orphanDatabases: ownedBy(databases).filter((id) => id === undefined || !users.alive.has(id)).length,
    orphanRoles: ownedBy(roles).filter((id) => id === undefined || !users.alive.has(id)).length,
    openWorkflows,
  };
}
