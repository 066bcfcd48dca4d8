/** Reconciliation's contract with its clients (CLI, worker schedule, Temporal UI): input, progress, report. */
import { defineQuery } from '@temporalio/workflow';

export interface ReconcileInput {
  /** Compute and return the plan only: start no provisioning, remove nothing. */
  dryRun: boolean;
  /** Start deprovisioning for every database whose Clerk user no longer exists. */
  removeOrphans: boolean;
  /** Clerk users and tenant databases listed per page (Clerk allows at most 500). */
  pageSize: number;
  /**
   * At most this many databases removed per run: far more orphans than usual means a misconfiguration (a
   * worker pointed at the wrong Clerk instance sees every database as an orphan), so the rest are only reported.
   */
  maxRemovals: number;
  /** Continue as new once a run's history reaches this many events (or sooner, when Temporal suggests it). */
  maxHistoryEvents: number;
  /** Progress handed over by the previous run (continue-as-new); absent on the first run. */
  carried?: ReconcileCarry;
}

export type ReconcileOptions = Omit<ReconcileInput, 'carried'>;

export const RECONCILE_DEFAULTS: Omit<ReconcileOptions, 'dryRun' | 'removeOrphans'> = {
  pageSize: 500,
  maxRemovals: 100,
  maxHistoryEvents: 10_000,
};

/** Inclusive bounds of each numeric option. */
export const RECONCILE_LIMITS = {
  pageSize: [1, 500],
  maxRemovals: [0, 1_000_000],
  maxHistoryEvents: [100, 40_000],
} as const satisfies Record<string, readonly [number, number]>;

export type ReconcilePhase = 'users' | 'databases' | 'done';

export interface ReconcileCounters {
  /** Clerk users looked at. */
  usersScanned: number;
  /** Tenant databases looked at. */
  databasesScanned: number;
  /** Clerk users without a database. */
  toProvision: number;
  /** Provisioning runs started (or already open) for them. */
  provisioningStarted: number;
  /** Databases whose Clerk user no longer exists. */
  orphans: number;
  /** Deprovisioning runs started for orphans. */
  orphansRemoved: number;
  /** Users or orphans whose repair could not be started. */
  failed: number;
}

/**
 * Orphan removal is refused for a run once at least this many databases were checked and Clerk knew none of
 * their users: that is what a worker pointed at the wrong (or an empty) Clerk instance sees, not a real fleet.
 */
export const WRONG_INSTANCE_MIN_ORPHANS = 3;

/** Ids listed in the report (users to provision, orphans, failures); beyond that they are only counted. */
export const MAX_KEPT_IDS = 1_000;

export interface ReconcileFailure {
  userId: string;
  action: 'provision' | 'deprovision';
  error: string;
}

/** Everything one run hands to the next; small whatever the number of users (id lists are capped). */
export interface ReconcileCarry {
  startedAt: string;
  phase: ReconcilePhase;
  /** Clerk users (oldest first) already scanned: the offset of the next page. */
  userOffset: number;
  /** Every tenant database up to this name (inclusive) has been scanned. */
  databaseCursor: string;
  counters: ReconcileCounters;
  usersTotal?: number;
  databasesTotal?: number;
  toProvision: string[];
  orphans: string[];
  failures: ReconcileFailure[];
  runs: number;
  /** Why orphan removal was refused for this run (the wrong-instance guard); absent when it was not. */
  removalRefused?: string;
  /** Orphans held back while Clerk has known none of the users checked (fewer than WRONG_INSTANCE_MIN_ORPHANS). */
  heldOrphans?: string[];
}

export interface ReconcileProgress extends ReconcileCounters {
  phase: ReconcilePhase;
  dryRun: boolean;
  removeOrphans: boolean;
  /** Clerk users, as Clerk counted them on the last page. */
  usersTotal?: number;
  /** Tenant databases, as the provider listed them on the last page. */
  databasesTotal?: number;
  startedAt: string;
  runs: number;
  /** Why orphan removal was refused (Clerk knew none of the users with a database); orphans are only reported. */
  removalRefused?: string;
}

/** The result: the plan (dry run) or what was done, with the ids concerned (up to MAX_KEPT_IDS of each). */
export interface ReconcileReport extends ReconcileProgress {
  toProvisionIds: string[];
  orphanIds: string[];
  failures: ReconcileFailure[];
  finishedAt: string;
}

export const reconcileProgressQuery = defineQuery<ReconcileProgress>('progress');

/** Runs started on demand (`per-user-db reconcile`); one at a time per deployment (task queue). */
export const reconcileWorkflowId = (taskQueue: string): string => `reconcile-${taskQueue}`;
/** The worker's schedule; each run it starts is named after it plus the scheduled time. */
export const reconcileScheduleId = (taskQueue: string): string => `reconcile-schedule-${taskQueue}`;

/** One line for people: the CLI's progress line and the Temporal UI's current details. */
export function describeReconcile(p: ReconcileProgress): string {
  const of = (n: number, total?: number) => (total === undefined ? `${n}` : `${n}/${total}`);
  const parts = [
    `${p.phase}${p.dryRun ? ' (dry run)' : ''}`,
    `users ${of(p.usersScanned, p.usersTotal)}`,
    `databases ${of(p.databasesScanned, p.databasesTotal)}`,
    `${p.toProvision} without a database${p.dryRun ? '' : ` (${p.provisioningStarted} provisioning)`}`,
    `${p.orphans} orphans${p.removeOrphans && !p.dryRun ? ` (${p.orphansRemoved} removed)` : ''}`,
  ];
  if (p.failed > 0) parts.push(`${p.failed} failed`);
  if (p.removalRefused) parts.push('removal refused');
  return parts.join(' · ');
}

/** Share of the scan done: users first, then databases, weighted by their totals once known. */
export function reconcileShare(p: ReconcileProgress): number {
  if (p.phase === 'done') return 1;
  const total = (p.usersTotal ?? 0) + (p.databasesTotal ?? 0);
  return total > 0 ? Math.min(1, (p.usersScanned + p.databasesScanned) / total) : 0;
}
