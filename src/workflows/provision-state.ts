import type { DatabaseMetadata } from '../domain/index.js';

/** The provisioning workflow's visible state: answered by its status query and returned as its result. */

export const STEP_NAMES = ['create-database', 'apply-migrations', 'record-on-clerk'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface StepState {
  name: StepName;
  state: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

/** The database as the workflow records it: Clerk's `publicMetadata.database` without the status. */
export type DatabaseRecord = Omit<DatabaseMetadata, 'status'>;

/**
 * `cancelled`: a deprovisioning run stopped it (the user was deleted meanwhile); `deleted`: the Clerk user was
 * gone (its metadata write answered 404, or, in runs older than `provision-in-fewer-round-trips`, the check
 * before creating), and whatever the run created was dropped.
 */
export type ProvisionStatus = 'provisioning' | 'ready' | 'failed' | 'cancelled' | 'deleted';

export interface ProvisionState {
  userId: string;
  status: ProvisionStatus;
  steps: StepState[];
  database: DatabaseRecord | null;
}

export interface ProvisionInput {
  userId: string;
  /** Region the user asked for at sign-up, if any; the activity validates it against the provider's. */
  region?: string;
  /** The sign-up IP's country (ISO alpha-2), looked up by the receiver; the IP itself never enters history. */
  country?: string;
  /** Why the receiver dropped the user's `unsafe_metadata.region` (not a string, too long, odd characters). */
  regionIgnored?: string;
}

export const provisionWorkflowId = (userId: string): string => `provision-db-${userId}`;

/** Clerk calls get a task queue of their own so the worker can rate-limit them server-side. */
export const clerkTaskQueue = (taskQueue: string): string => `${taskQueue}-clerk`;

/** Bulk Clerk writes (fleet migrations) get a queue and a lower rate of their own, apart from sign-ups'. */
export const clerkBulkTaskQueue = (taskQueue: string): string => `${taskQueue}-clerk-bulk`;
