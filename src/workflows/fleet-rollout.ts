import { ActivityFailure, log, setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { FleetActivities, FleetClerkActivities, TenantMigration, TenantRef } from '../activities/fleet.js';
import type { ProviderName } from '../config/index.js';
import {
  describeProgress,
  MAX_ERROR_CHARS,
  MAX_KEPT_FAILURES,
  QUERY_FAILURES,
  type FleetCarry,
  type FleetCounters,
  type FleetFailure,
  type FleetMigrationInput,
  type FleetProgress,
  type FleetReport,
  type FleetState,
} from './fleet-migration-state.js';
import { STATUS } from './search-attributes.js';

/** Clerk writes in flight at once; the Clerk task queue's server-side rate limit paces them. */
const CLERK_WINDOW = 10;
/** Migrated tenants waiting for their Clerk write before the rollout stops starting new tenants (backpressure). */
const CLERK_BACKLOG_MAX = 200;

export interface RolloutActivities {
  listing: Pick<FleetActivities, 'listTenantPage'>;
  tenant: Pick<FleetActivities, 'migrateTenant'>;
  clerk: FleetClerkActivities;
}

type Queued = TenantRef & { provider: ProviderName };
type ClerkWrite = { tenant: Queued; schemaVersion: number };

/** The reason an activity failed, as the activity put it. */
export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Clerk needs the new version when this rollout changed it: when this attempt applied something, or when an
 * earlier attempt may have (it died after committing). Tenants already up to date cost no Clerk write.
 */
export const clerkMayBeBehind = (result: TenantMigration) => result.applied.length > 0 || result.attempt > 1;

/**
 * One run of a fleet migration: the tenants listed but not started, the windows of tenant migrations and Clerk
 * writes in flight, and the counters carried from run to run. Activities complete in the background; each
 * completion (and each handler) marks a change, which is what the workflow's loop waits for.
 */
export class Rollout {
  private readonly counters: FleetCounters;
  private runningSince: number | undefined;
  private cancelling = false;
  private rollingOver = false;
  private readonly buffer: Queued[] = [];
  private fetchCursor: string;
  private exhausted = false;
  private fetching = false;
  private listingError: unknown;
  private inFlight = 0;
  private readonly clerkBacklog: ClerkWrite[] = [];
  private clerkInFlight = 0;
  private published: string | undefined;
  private changes = 0;

  constructor(
    private readonly input: FleetMigrationInput,
    private readonly carry: FleetCarry,
    private readonly acts: RolloutActivities,
  ) {
    this.counters = carry.counters;
    this.runningSince = carry.paused ? undefined : Date.now();
    this.fetchCursor = carry.cursor;
  }

  /** A condition that turns true at the next change (an activity done, a handler run). */
  nextChange(): () => boolean {
    const seen = this.changes;
    return () => this.changes !== seen;
  }

  private changed(): void {
    this.changes++;
  }

  /**
   * Starts what the windows allow: the next page once the buffer runs low, tenants up to `concurrency`, Clerk
   * writes up to CLERK_WINDOW. New tenants start only while running and not about to continue as new.
   * Throws the listing's failure (it retries until the failure is permanent).
   */
  step(historyFull: boolean): void {
    if (this.listingError) throw this.listingError;
    if (historyFull) this.rollingOver = true;
    const starting = !this.carry.paused && !this.cancelling && !this.rollingOver;
    if (starting && !this.exhausted && !this.fetching && this.buffer.length <= this.input.concurrency) {
      this.fetchPage();
    }
    while (
      starting &&
      this.inFlight < this.input.concurrency &&
      this.buffer.length > 0 &&
      this.clerkBacklog.length < CLERK_BACKLOG_MAX
    ) {
      this.startTenant(this.buffer.shift()!);
    }
    while (this.clerkInFlight < CLERK_WINDOW && this.clerkBacklog.length > 0) {
      this.startClerkWrite(this.clerkBacklog.shift()!);
    }
    this.publish(this.current());
  }

  private get idle(): boolean {
    return this.inFlight === 0 && !this.fetching && this.clerkInFlight === 0 && this.clerkBacklog.length === 0;
  }

  /** Nothing in flight, and cancelled or every tenant listed was handled. */
  get finished(): boolean {
    return this.idle && (this.cancelling || (this.exhausted && this.buffer.length === 0));
  }

  /** Nothing in flight and the history is full: time to continue as new. */
  get readyToRollOver(): boolean {
    return this.idle && this.rollingOver;
  }

  /**
   * What the next run starts from. Everything started has finished, so the cursor (the last tenant started) is
   * exact; the rest of the buffer is listed again by the next run.
   */
  carryOver(): FleetCarry {
    this.carry.activeMs += Date.now() - (this.runningSince ?? Date.now());
    return this.carry;
  }

  /** The final report, published as the workflow's status. */
  finish(): FleetReport {
    const state: FleetState = this.cancelling ? 'cancelled' : 'completed';
    // Mid-run, `total` is an estimate from listing counts; once every tenant was handled it is the exact count.
    if (state === 'completed') this.carry.total = this.processed();
    const report: FleetReport = { ...this.progress(state, MAX_KEPT_FAILURES), finishedAt: new Date().toISOString() };
    const failed = this.counters.failed + this.counters.clerkFailed > 0;
    this.publish(report, state === 'completed' && failed ? 'completed-with-failures' : state);
    return report;
  }

  // Handlers (the workflow registers them).

  /** Progress as the `progress` query and the updates answer it. */
  current(): FleetProgress {
    return this.progress(this.state(), QUERY_FAILURES);
  }

  pause(reason: string): void {
    if (this.carry.paused) return;
    this.carry.paused = true;
    this.carry.pauseReason = reason;
    this.carry.activeMs += Date.now() - (this.runningSince ?? Date.now());
    this.runningSince = undefined;
    this.changed();
  }

  resume(): void {
    if (!this.carry.paused) return;
    this.carry.paused = false;
    this.carry.pauseReason = undefined;
    this.carry.failedAtResume = this.counters.failed;
    this.runningSince = Date.now();
    this.changed();
  }

  cancel(): void {
    this.cancelling = true;
    this.changed();
  }

  get isCancelling(): boolean {
    return this.cancelling;
  }

  private state(): FleetState {
    return this.cancelling ? 'cancelling' : this.carry.paused ? 'paused' : 'running';
  }

  private processed(): number {
    return this.counters.migrated + this.counters.upToDate + this.counters.failed;
  }

  private progress(state: FleetState, failureLimit: number): FleetProgress {
    const { carry, counters } = this;
    const activeMs = carry.activeMs + (this.runningSince === undefined ? 0 : Date.now() - this.runningSince);
    const ratePerSecond = activeMs > 0 ? (this.processed() * 1000) / activeMs : 0;
    const pending = carry.total === undefined ? undefined : Math.max(0, carry.total - this.processed());
    const failures = carry.failures.slice(-failureLimit);
    return {
      state,
      pauseReason: carry.pauseReason,
      targetVersion: this.input.targetVersion,
      concurrency: this.input.concurrency,
      total: carry.total,
      done: counters.migrated + counters.upToDate,
      migrated: counters.migrated,
      upToDate: counters.upToDate,
      failed: counters.failed,
      pending,
      inFlight: this.inFlight,
      ratePerSecond: Math.round(ratePerSecond * 10) / 10,
      etaSeconds: pending !== undefined && ratePerSecond > 0 ? Math.round(pending / ratePerSecond) : undefined,
      clerk: {
        updated: counters.clerkUpdated,
        failed: counters.clerkFailed,
        pending: this.clerkBacklog.length + this.clerkInFlight,
      },
      failures,
      failuresOmitted: carry.failuresOmitted + carry.failures.length - failures.length,
      startedAt: carry.startedAt,
      runs: carry.runs,
    };
  }

  /** Progress in the Temporal UI: current details on every change (free), state and memo when they move. */
  private publish(p: FleetProgress, statusValue: string = p.state): void {
    setCurrentDetails(`**Schema rollout to v${this.input.targetVersion}**\n\n${describeProgress(p)}`);
    const memo = `${statusValue}:${p.total}`;
    if (memo === this.published) return;
    this.published = memo;
    upsertSearchAttributes([{ key: STATUS, value: statusValue }]);
    upsertMemo({ progress: { state: statusValue, total: p.total, done: p.done, failed: p.failed } });
  }

  private recordFailure(tenant: TenantRef, stage: FleetFailure['stage'], error: unknown): void {
    const failure = { userId: tenant.userId, name: tenant.name, stage, error: failureMessage(error) };
    failure.error = failure.error.slice(0, MAX_ERROR_CHARS);
    if (this.carry.failures.length < MAX_KEPT_FAILURES) this.carry.failures.push(failure);
    else this.carry.failuresOmitted++;
    log.warn('fleet migration: tenant failed', { ...failure });
  }

  private fetchPage(): void {
    this.fetching = true;
    this.acts.listing
      .listTenantPage({ after: this.fetchCursor, limit: this.input.pageSize })
      .then(
        (page) => {
          this.carry.total = this.processed() + this.inFlight + this.buffer.length + page.remaining;
          this.buffer.push(...page.tenants.map((t) => ({ ...t, provider: page.provider })));
          this.fetchCursor = page.tenants.at(-1)?.name ?? this.fetchCursor;
          this.exhausted = page.remaining <= page.tenants.length;
        },
        (error: unknown) => {
          this.listingError = error;
        },
      )
      .finally(() => {
        this.fetching = false;
        this.changed();
      });
  }

  private startTenant(tenant: Queued): void {
    this.inFlight++;
    this.carry.cursor = tenant.name;
    this.acts.tenant
      .migrateTenant({
        tenant: { provider: tenant.provider, name: tenant.name, region: tenant.region },
        targetVersion: this.input.targetVersion,
      })
      .then(
        (result) => {
          if (result.applied.length > 0) this.counters.migrated++;
          else this.counters.upToDate++;
          if (this.input.updateClerk && clerkMayBeBehind(result)) {
            this.clerkBacklog.push({ tenant, schemaVersion: result.toVersion });
          }
        },
        (error: unknown) => {
          this.counters.failed++;
          this.recordFailure(tenant, 'migrate', error);
          const sinceResume = this.counters.failed - this.carry.failedAtResume;
          if (this.input.maxFailures > 0 && sinceResume >= this.input.maxFailures) {
            this.pause(`${sinceResume} tenants failed; look at the failures, then resume or cancel`);
          }
        },
      )
      .finally(() => {
        this.inFlight--;
        this.changed();
      });
  }

  private startClerkWrite({ tenant, schemaVersion }: ClerkWrite): void {
    this.clerkInFlight++;
    this.acts.clerk
      .recordSchemaVersionOnClerk(tenant.userId, schemaVersion)
      .then(
        () => void this.counters.clerkUpdated++,
        (error: unknown) => {
          this.counters.clerkFailed++;
          this.recordFailure(tenant, 'record-on-clerk', error);
        },
      )
      .finally(() => {
        this.clerkInFlight--;
        this.changed();
      });
  }
}
