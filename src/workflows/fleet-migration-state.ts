/**
 * The tenant rollouts' contract with their clients (CLI, Temporal UI): input, progress, report, handlers. Two
 * operations share it: the fleet migration (schema) and the credential rotation.
 */
import { ApplicationFailure, defineQuery, defineUpdate } from '@temporalio/workflow';

/** What every tenant rollout takes. */
export interface RolloutInput {
  /** Tenants handled at once (the sliding window of activities, each one tenant or one batch at a time). */
  concurrency: number;
  /** Tenants listed per page. */
  pageSize: number;
  /**
   * Tenants one activity handles in turn (fewer at the end of the fleet, spread over the window). Absent in
   * inputs of builds without batches: DEFAULT_BATCH_SIZE.
   */
  batchSize?: number;
  /** Attempts per tenant for transient errors before it is recorded as failed. */
  maxAttempts: number;
  /** Pause by itself once this many tenants failed since the start or the last resume; 0 never pauses. */
  maxFailures: number;
  /** Continue as new once a run's history reaches this many events (or sooner, when Temporal suggests it). */
  maxHistoryEvents: number;
  /** Progress handed over by the previous run (continue-as-new); absent on the first run. */
  carried?: FleetCarry;
}

export interface FleetMigrationInput extends RolloutInput {
  /** The schema version every tenant must reach: the newest migration file of the release being rolled out. */
  targetVersion: number;
  /** Write the new `schemaVersion` to the Clerk user of every tenant whose version changed. */
  updateClerk: boolean;
}

/**
 * Re-sets every tenant role's password from the worker's current TENANT_PASSWORD_SECRET. The input holds no
 * secret: activities derive each password from the worker's configuration.
 */
export type CredentialRotationInput = RolloutInput;

export type CredentialRotationOptions = Omit<RolloutInput, 'carried'>;

export type FleetMigrationOptions = Omit<FleetMigrationInput, 'targetVersion' | 'carried'>;

/** Tenants per activity: enough to spread a workflow task and an activity dispatch over many tenants, few enough
 * that a pause or a cancel (which let in-flight batches finish) takes effect soon. */
export const DEFAULT_BATCH_SIZE = 20;

export const FLEET_DEFAULTS: FleetMigrationOptions = {
  concurrency: 8,
  pageSize: 500,
  batchSize: DEFAULT_BATCH_SIZE,
  maxAttempts: 5,
  maxFailures: 100,
  maxHistoryEvents: 10_000,
  updateClerk: true,
};

/** Inclusive bounds of each numeric option; the window plus the Clerk window stay under 2,000 pending activities. */
export const FLEET_LIMITS = {
  concurrency: [1, 500],
  pageSize: [1, 5_000],
  batchSize: [1, 500],
  maxAttempts: [1, 100],
  maxFailures: [0, 1_000_000],
  maxHistoryEvents: [100, 40_000],
} as const satisfies Record<string, readonly [number, number]>;

export interface FleetFailure {
  userId: string;
  /** The tenant database's name at the provider. */
  name: string;
  stage: 'migrate' | 'record-on-clerk' | 'rotate-credentials';
  error: string;
}

export interface FleetCounters {
  /** Tenants this rollout changed: moved to a newer version, or (credential rotation) given the new password. */
  migrated: number;
  /** Tenants with nothing to do: already at the newest version, or (credential rotation) gone meanwhile. */
  upToDate: number;
  failed: number;
  clerkUpdated: number;
  clerkFailed: number;
  /**
   * Tenants whose Clerk user is gone (the Clerk write answered "not found"): orphaned databases for
   * `per-user-db reconcile`, not failures. Absent in runs carried from a build without it.
   */
  orphans?: number;
}

/** Everything one run hands to the next; small whatever the fleet size (failures are capped). */
export interface FleetCarry {
  startedAt: string;
  /** Milliseconds spent running (not paused), for the rate. */
  activeMs: number;
  /** Every tenant up to this name (inclusive) has been dealt with. */
  cursor: string;
  counters: FleetCounters;
  /** Tenants in the fleet at the last listing. */
  total?: number;
  failures: FleetFailure[];
  failuresOmitted: number;
  /** User ids of orphaned tenants, the first MAX_KEPT_ORPHANS; absent in runs carried from a build without it. */
  orphanUserIds?: string[];
  paused: boolean;
  pauseReason?: string;
  /** `failed` when the rollout started or was last resumed: the auto-pause counts from there. */
  failedAtResume: number;
  /** Runs so far in this rollout's continue-as-new chain. */
  runs: number;
}

export type FleetState = 'running' | 'paused' | 'cancelling' | 'completed' | 'cancelled';

export interface FleetProgress {
  state: FleetState;
  pauseReason?: string;
  /** The schema version a fleet migration brings tenants to; absent for a credential rotation. */
  targetVersion?: number;
  concurrency: number;
  /** Tenants in the fleet: known once the first page is listed. */
  total?: number;
  /** Tenants at the target version: `migrated + upToDate`. */
  done: number;
  migrated: number;
  upToDate: number;
  failed: number;
  /** Tenants still to do (in flight included); known with `total`. */
  pending?: number;
  inFlight: number;
  /** Tenants per second while running (paused time excluded). */
  ratePerSecond: number;
  etaSeconds?: number;
  clerk: { updated: number; failed: number; pending: number };
  /**
   * Tenants migrated whose Clerk user no longer exists: orphaned databases (counted in `done`, not in `failed`)
   * that `per-user-db reconcile` reviews and removes.
   */
  orphans: number;
  /** A sample of the orphans' user ids (up to MAX_KEPT_ORPHANS). */
  orphanUserIds: string[];
  /** The query shows the latest few; the final report every one kept (up to MAX_KEPT_FAILURES). */
  failures: FleetFailure[];
  /** Failures beyond those listed. */
  failuresOmitted: number;
  startedAt: string;
  runs: number;
}

export interface FleetReport extends FleetProgress {
  finishedAt: string;
}

/** Failures the progress query lists. */
export const QUERY_FAILURES = 20;
/** Failures carried from run to run and listed in the report; the rest are counted. Keeps payloads small. */
export const MAX_KEPT_FAILURES = 1_000;
/** Orphans' user ids carried from run to run and listed in the report; the rest are counted. */
export const MAX_KEPT_ORPHANS = 100;
/** Longest error message kept per failure. */
export const MAX_ERROR_CHARS = 500;

export const fleetProgressQuery = defineQuery<FleetProgress>('progress');
export const pauseFleetMigration = defineUpdate<FleetProgress>('pause');
export const resumeFleetMigration = defineUpdate<FleetProgress>('resume');
/** Stops starting tenants, lets the ones in flight finish, then completes with the report. */
export const cancelFleetMigration = defineUpdate<FleetProgress>('cancel');

/** One rollout per deployment (task queue) at a time: the ID is fixed and a second start is refused. */
export const fleetMigrationWorkflowId = (taskQueue: string): string => `fleet-migration-${taskQueue}`;

export interface TenantMigrationInput {
  userId: string;
  targetVersion: number;
  maxAttempts: number;
  updateClerk: boolean;
}

export interface TenantMigrationResult {
  userId: string;
  name: string;
  fromVersion: number;
  toVersion: number;
  applied: number[];
  attempt: number;
}

export const tenantMigrationWorkflowId = (userId: string): string => `migrate-db-${userId}`;

/** One credential rotation per deployment (task queue) at a time, like the fleet migration. */
export const credentialRotationWorkflowId = (taskQueue: string): string => `credential-rotation-${taskQueue}`;

/** One line for people: the CLI's progress line and the Temporal UI's current details. */
export function describeProgress(p: FleetProgress): string {
  const of = p.total === undefined ? '' : `/${p.total}`;
  const parts = [
    `${p.state}${p.pauseReason ? ` (${p.pauseReason})` : ''}`,
    `${p.targetVersion === undefined ? 'credentials' : `v${p.targetVersion}`}: ${p.done}${of} done`,
    `${p.failed} failed`,
    ...(p.orphans > 0 ? [`${p.orphans} orphaned`] : []),
    `${p.inFlight} in flight`,
    `${p.ratePerSecond.toFixed(1)}/s`,
  ];
  if (p.etaSeconds !== undefined && p.state === 'running') parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  if (p.clerk.pending > 0) parts.push(`Clerk ${p.clerk.pending} pending`);
  return parts.join(' · ');
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Somewhere in the failure's causes, Clerk answered that the user does not exist: the tenant database is an
 * orphan. (A rollout's failed Clerk write, or a one-tenant migration's failure as its client sees it.)
 */
export function isClerkUserGone(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure && cause.type === 'ClerkUserNotFound') return true;
  }
  return false;
}
