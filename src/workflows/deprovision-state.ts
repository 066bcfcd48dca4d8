/** The deprovisioning workflow's input and visible state: answered by its status query and returned as its result. */

/** Why a database is removed: Clerk's `user.deleted`, an operator's command, or reconciliation finding an orphan. */
export const DEPROVISION_REASONS = ['user.deleted', 'operator', 'orphan'] as const;
export type DeprovisionReason = (typeof DEPROVISION_REASONS)[number];

export interface DeprovisionInput {
  userId: string;
  reason: DeprovisionReason;
  /** Keep the database, locked, this long before dropping it; a `restore` update within it keeps it. 0 = at once. */
  gracePeriodMs?: number;
  /** The webhook delivery that asked (`svix-id`), for the log. */
  eventId?: string;
  /** When Clerk sent the event (ISO): one older than the user's last restore is ignored. */
  eventAt?: string;
}

/**
 * `deleting` → (`locked` during a grace period →) `deleted`, or `restored` when the grace period was ended by
 * the `restore` update (the database is kept and unlocked). Before any of it: `ignored` when the event is older
 * than the user's last restore, `kept` when Clerk still has the user (a forged or mistaken deletion).
 */
export type DeprovisionStatus = 'deleting' | 'locked' | 'deleted' | 'restored' | 'kept' | 'ignored';

/** How a deprovisioning run can end with the database still there, untouched by it. */
export const DATABASE_KEPT_STATUSES: readonly DeprovisionStatus[] = ['restored', 'kept', 'ignored'];

export interface DeprovisionState {
  userId: string;
  reason: DeprovisionReason;
  status: DeprovisionStatus;
  /** How the user's provisioning run ended: `none` when there was none; `CANCELLED` when this run stopped it. */
  provisioning?: string;
  /** While `locked`: when the database will be dropped. */
  dropAt?: string;
  /** Whether `drop` found a database (or role/branch) to remove; false on a repeated delete. */
  databaseExisted?: boolean;
  /** Whether the status was written to the Clerk user; false when the user is gone (the usual case). */
  recordedOnClerk?: boolean;
  /** When `ignored`: the user's last restore, which the event predates. */
  restoredAt?: string;
}

export const deprovisionWorkflowId = (userId: string): string => `deprovision-db-${userId}`;
