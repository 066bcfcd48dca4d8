import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities, FleetClerkActivities, TenantMigration, TenantRef } from '../activities/fleet.js';
import type { TenantOutcome } from '../activities/tenant-batch.js';
import type { ProviderName } from '../config/index.js';
import type { TenantDatabase } from '../providers/types.js';
import {
  cancelFleetMigration,
  DEFAULT_BATCH_SIZE,
  describeProgress,
  FLEET_LIMITS,
  fleetProgressQuery,
  isClerkUserGone,
  pauseFleetMigration,
  resumeFleetMigration,
  MAX_ERROR_CHARS,
  MAX_KEPT_FAILURES,
  MAX_KEPT_ORPHANS,
  QUERY_FAILURES,
  type FleetCarry,
  type FleetCounters,
  type FleetFailure,
  type FleetProgress,
  type FleetReport,
  type FleetState,
  type RolloutInput,
} from './fleet-migration-state.js';
import { STATUS } from './search-attributes.js';

/** Clerk writes in flight at once; the Clerk task queue's server-side rate limit paces them. */
const CLERK_WINDOW = 10;
/** Migrated tenants waiting for their Clerk write before the rollout stops starting new tenants (backpressure). */
const CLERK_BACKLOG_MAX = 200;

export interface RolloutActivities {
  listing: Pick<FleetActivities, 'listTenantPage'>;
  clerk: FleetClerkActivities;
}

/** What the work did to one tenant: whether it changed it, and the schema version Clerk needs, if any. */
export interface TenantResult {
  changed: boolean;
  clerkSchemaVersion?: number;
}

/** What a rollout does to each tenant: the one difference between a schema migration and a rotation. */
export interface TenantOperation {
  /** The headline in the Temporal UI. */
  title: string;
  /** Where a tenant's failure is recorded. */
  stage: FleetFailure['stage'];
  /** The schema version the operation brings tenants to, when it is a migration. */
  targetVersion?: number;
  /**
   * Does the work on one tenant in an activity of its own, with its retries. `retried`: the tenant failed
   * transiently in a batch, which was its first attempt (and may have done the work without answering).
   */
  run(tenant: TenantDatabase, retried?: boolean): Promise<TenantResult>;
  /** Does the work on several tenants in one activity, in turn: every tenant's outcome, in order. */
  runBatch(tenants: TenantDatabase[]): Promise<TenantOutcome<TenantResult>[]>;
}

/** A batch's outcomes with each result turned into what the rollout counts. */
export function mapOutcomes<T>(
  outcomes: TenantOutcome<T>[],
  toResult: (result: T) => TenantResult,
): TenantOutcome<TenantResult>[] {
  return outcomes.map((o) => (o.ok ? { ok: true, result: toResult(o.result) } : o));
}

/** A batch activity's summary in the Temporal UI: what it does to which tenants. */
export const batchSummary = (verb: string, tenants: TenantDatabase[]) =>
  `${verb} ${tenants.length} tenants: ${tenants[0]?.name} … ${tenants.at(-1)?.name}`;

type Queued = TenantRef & { provider: ProviderName };
type ClerkWrite = { tenant: Queued; schemaVersion: number };

/** What is wrong with a rollout's numeric options (each within FLEET_LIMITS; batchSize may be left out). */
export function rolloutInputProblems(input: RolloutInput): string[] {
  const withDefaults = { ...input, batchSize: input.batchSize ?? DEFAULT_BATCH_SIZE };
  return Object.entries(FLEET_LIMITS).flatMap(([key, [min, max]]) => {
    const value = withDefaults[key as keyof typeof FLEET_LIMITS];
    return Number.isInteger(value) && value >= min && value <= max
      ? []
      : [`${key} must be a whole number ${min}–${max}`];
  });
}

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
 * One run of a tenant rollout: the tenants listed but not started, the windows of tenant operations and Clerk
 * writes in flight, and the counters carried from run to run. Activities complete in the background; each
 * completion (and each handler) marks a change, which is what the workflow's loop waits for.
 *
 * With a `batchSize` (runs since the 'fleet-batches' patch) each activity of the window handles a batch of
 * tenants in turn, so the workflow task and the activity dispatch that each tenant cost before are shared by
 * the batch; a tenant that failed transiently in its batch is retried alone, in the window, before new batches.
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
  /** Tenants started and not yet counted: in a batch, retried alone, or waiting for their retry. */
  private inFlight = 0;
  /** Activities of the window in flight: single tenants, batches and retries. */
  private lanes = 0;
  private readonly retries: Queued[] = [];
  private readonly clerkBacklog: ClerkWrite[] = [];
  private clerkInFlight = 0;
  private published: string | undefined;
  private changes = 0;

  constructor(
    private readonly input: RolloutInput,
    private readonly carry: FleetCarry,
    private readonly acts: RolloutActivities,
    private readonly operation: TenantOperation,
    private readonly batchSize: number | undefined,
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
    const { concurrency } = this.input;
    const refillAt = concurrency * (this.batchSize ?? 1);
    if (starting && !this.exhausted && !this.fetching && this.buffer.length <= refillAt) {
      this.fetchPage();
    }
    // Retries are of tenants already started: they go first, paused or not.
    while (this.lanes < concurrency && this.retries.length > 0) this.retryAlone(this.retries.shift()!);
    while (
      starting &&
      this.lanes < concurrency &&
      this.buffer.length > 0 &&
      this.clerkBacklog.length < CLERK_BACKLOG_MAX
    ) {
      if (this.batchSize === undefined) this.startTenant(this.buffer.shift()!);
      else this.startBatch(this.buffer.splice(0, this.batchLength(this.batchSize)));
    }
    while (this.clerkInFlight < CLERK_WINDOW && this.clerkBacklog.length > 0) {
      this.startClerkWrite(this.clerkBacklog.shift()!);
    }
    this.publish(this.current());
  }

  /** Full batches while the buffer lasts; at the end of the fleet, what is left spread over the window. */
  private batchLength(batchSize: number): number {
    return Math.min(batchSize, Math.ceil(this.buffer.length / this.input.concurrency));
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
      targetVersion: this.operation.targetVersion,
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
      orphans: counters.orphans ?? 0,
      orphanUserIds: [...(carry.orphanUserIds ?? [])],
      failures,
      failuresOmitted: carry.failuresOmitted + carry.failures.length - failures.length,
      startedAt: carry.startedAt,
      runs: carry.runs,
    };
  }

  /** Progress in the Temporal UI: current details on every change (free), state and memo when they move. */
  private publish(p: FleetProgress, statusValue: string = p.state): void {
    setCurrentDetails(`**${this.operation.title}**\n\n${describeProgress(p)}`);
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
    log.warn('tenant rollout: tenant failed', { ...failure });
  }

  private recordOrphan(tenant: TenantRef): void {
    this.counters.orphans = (this.counters.orphans ?? 0) + 1;
    const sample = (this.carry.orphanUserIds ??= []);
    if (sample.length < MAX_KEPT_ORPHANS) sample.push(tenant.userId);
    log.warn('tenant rollout: Clerk user gone, tenant database orphaned', { userId: tenant.userId, name: tenant.name });
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
    this.carry.cursor = tenant.name;
    this.runAlone(tenant, false);
  }

  private retryAlone(tenant: Queued): void {
    this.runAlone(tenant, true);
  }

  /** One tenant in its own activity (counted in flight already when it is a retry). */
  private runAlone(tenant: Queued, retried: boolean): void {
    this.lanes++;
    if (!retried) this.inFlight++;
    this.operation
      .run(databaseOf(tenant), retried)
      .then(
        (result) => this.succeeded(tenant, result),
        (error: unknown) => this.failed(tenant, error),
      )
      .finally(() => {
        this.lanes--;
        this.inFlight--;
        this.changed();
      });
  }

  private startBatch(tenants: Queued[]): void {
    this.lanes++;
    this.inFlight += tenants.length;
    this.carry.cursor = tenants.at(-1)!.name;
    this.operation
      .runBatch(tenants.map(databaseOf))
      .then(
        (outcomes) => tenants.forEach((tenant, i) => this.settleInBatch(tenant, outcomes[i]!)),
        // The batch itself failed for good (its worker, every attempt): each tenant gets its retry alone.
        (error: unknown) => {
          const outcome = { ok: false, error: failureMessage(error), nonRetryable: false } as const;
          for (const tenant of tenants) this.settleInBatch(tenant, outcome);
        },
      )
      .finally(() => {
        this.lanes--;
        this.changed();
      });
  }

  /** A tenant's outcome in its batch: counted, or queued for a retry alone when another attempt could help. */
  private settleInBatch(tenant: Queued, outcome: TenantOutcome<TenantResult>): void {
    if (!outcome.ok && !outcome.nonRetryable && this.input.maxAttempts > 1) {
      this.retries.push(tenant);
      return;
    }
    if (outcome.ok) this.succeeded(tenant, outcome.result);
    else this.failed(tenant, outcome.error);
    this.inFlight--;
  }

  private succeeded(tenant: Queued, { changed, clerkSchemaVersion }: TenantResult): void {
    if (changed) this.counters.migrated++;
    else this.counters.upToDate++;
    if (clerkSchemaVersion !== undefined) this.clerkBacklog.push({ tenant, schemaVersion: clerkSchemaVersion });
  }

  private failed(tenant: Queued, error: unknown): void {
    this.counters.failed++;
    this.recordFailure(tenant, this.operation.stage, error);
    const sinceResume = this.counters.failed - this.carry.failedAtResume;
    if (this.input.maxFailures > 0 && sinceResume >= this.input.maxFailures) {
      this.pause(`${sinceResume} tenants failed; look at the failures, then resume or cancel`);
    }
  }

  private startClerkWrite({ tenant, schemaVersion }: ClerkWrite): void {
    this.clerkInFlight++;
    this.acts.clerk
      .recordSchemaVersionOnClerk(tenant.userId, schemaVersion)
      .then(
        () => void this.counters.clerkUpdated++,
        (error: unknown) => {
          // Since 'fleet-orphans-not-failures': a gone Clerk user makes the (migrated) tenant an orphan for
          // reconcile, not a failure. Runs recorded before the patch replay the old way.
          if (isClerkUserGone(error) && patched('fleet-orphans-not-failures')) {
            this.recordOrphan(tenant);
            return;
          }
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

/**
 * Runs a rollout to its end: steps it at every change, and before the history grows large drains the window
 * and continues as new through `rollOver` with what was carried. Registers the `progress` query and the pause,
 * resume and cancel updates.
 */
export async function runRollout(
  input: RolloutInput,
  operation: TenantOperation,
  acts: RolloutActivities,
  rollOver: (carried: FleetCarry) => Promise<never>,
): Promise<FleetReport> {
  const carry: FleetCarry = input.carried ?? freshCarry();
  carry.runs++;
  // Since 'fleet-batches': tenants in batches. Runs recorded before the patch go on one tenant per activity.
  const batchSize = patched('fleet-batches') ? (input.batchSize ?? DEFAULT_BATCH_SIZE) : undefined;
  const rollout = new Rollout(input, carry, acts, operation, batchSize);
  handleControls(rollout);

  for (;;) {
    const changed = rollout.nextChange();
    const info = workflowInfo();
    rollout.step(info.continueAsNewSuggested || info.historyLength >= input.maxHistoryEvents);
    if (rollout.finished) break;
    if (rollout.readyToRollOver) {
      const carried = rollout.carryOver();
      await condition(allHandlersFinished);
      return rollOver(carried);
    }
    await condition(changed);
  }
  const report = rollout.finish();
  await condition(allHandlersFinished);
  return report;
}

const databaseOf = ({ provider, name, region }: Queued): TenantDatabase => ({ provider, name, region });

function freshCarry(): FleetCarry {
  return {
    startedAt: new Date().toISOString(),
    activeMs: 0,
    cursor: '',
    counters: { migrated: 0, upToDate: 0, failed: 0, clerkUpdated: 0, clerkFailed: 0, orphans: 0 },
    failures: [],
    failuresOmitted: 0,
    paused: false,
    failedAtResume: 0,
    runs: 0,
  };
}

/** The `progress` query and the pause, resume and cancel updates, each answering with the progress. */
function handleControls(rollout: Rollout): void {
  const notWhileCancelling = () => {
    if (rollout.isCancelling) throw new Error('The rollout is being cancelled');
  };
  setHandler(fleetProgressQuery, () => rollout.current());
  setHandler(
    pauseFleetMigration,
    () => {
      rollout.pause('paused by an operator');
      return rollout.current();
    },
    { validator: notWhileCancelling },
  );
  setHandler(
    resumeFleetMigration,
    () => {
      rollout.resume();
      return rollout.current();
    },
    { validator: notWhileCancelling },
  );
  setHandler(cancelFleetMigration, () => {
    rollout.cancel();
    return rollout.current();
  });
}
