import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities, FleetClerkActivities, TenantMigration, TenantRef } from '../activities/fleet.js';
import type { ProviderName } from '../config/index.js';
import {
  cancelFleetMigration,
  describeProgress,
  FLEET_LIMITS,
  fleetProgressQuery,
  MAX_ERROR_CHARS,
  MAX_KEPT_FAILURES,
  pauseFleetMigration,
  QUERY_FAILURES,
  resumeFleetMigration,
  type FleetCarry,
  type FleetFailure,
  type FleetMigrationInput,
  type FleetProgress,
  type FleetReport,
  type FleetState,
  type TenantMigrationInput,
  type TenantMigrationResult,
} from './fleet-migration-state.js';
import { fleetClerkOptions, tenantListingOptions, tenantMigrationOptions } from './activity-options.js';
import { STATUS } from './search-attributes.js';

/** Clerk writes in flight at once; the Clerk task queue's server-side rate limit paces them. */
const CLERK_WINDOW = 10;
/** Migrated tenants waiting for their Clerk write before the rollout stops starting new tenants (backpressure). */
const CLERK_BACKLOG_MAX = 200;

/** The activities: listing waits out outages; a tenant gets `maxAttempts` tries. */
function fleetActivities(maxAttempts: number) {
  return {
    listing: proxyActivities<FleetActivities>(tenantListingOptions),
    tenant: proxyActivities<FleetActivities>(tenantMigrationOptions(maxAttempts)),
    clerk: proxyActivities<FleetClerkActivities>(fleetClerkOptions()),
  };
}

/** The reason an activity failed, as the activity put it. */
function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

function validate(input: FleetMigrationInput): void {
  const problems = Object.entries(FLEET_LIMITS).flatMap(([key, [min, max]]) => {
    const value = input[key as keyof typeof FLEET_LIMITS];
    return Number.isInteger(value) && value >= min && value <= max
      ? []
      : [`${key} must be a whole number ${min}–${max}`];
  });
  if (!Number.isInteger(input.targetVersion) || input.targetVersion < 1) problems.push('targetVersion must be ≥ 1');
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), 'InvalidInput');
}

function freshCarry(): FleetCarry {
  return {
    startedAt: new Date().toISOString(),
    activeMs: 0,
    cursor: '',
    counters: { migrated: 0, upToDate: 0, failed: 0, clerkUpdated: 0, clerkFailed: 0 },
    failures: [],
    failuresOmitted: 0,
    paused: false,
    failedAtResume: 0,
    runs: 0,
  };
}

type Queued = TenantRef & { provider: ProviderName };

/**
 * Clerk needs the new version when this rollout changed it: when this attempt applied something, or when an
 * earlier attempt may have (it died after committing). Tenants already up to date cost no Clerk write.
 */
const clerkMayBeBehind = (result: TenantMigration) => result.applied.length > 0 || result.attempt > 1;

/**
 * Brings every tenant database to `targetVersion`: lists the provider's tenants page by page (in name order),
 * migrates them through a sliding window of `concurrency` activities, records failures without stopping, and
 * writes the new version to Clerk for tenants whose version changed. Pause, resume and cancel are updates;
 * `progress` is a query. Before the history grows large it drains the window and continues as new, carrying
 * the counters and the name cursor, so any fleet size fits.
 */
export async function fleetMigration(input: FleetMigrationInput): Promise<FleetReport> {
  validate(input);
  const acts = fleetActivities(input.maxAttempts);
  const carry: FleetCarry = input.carried ?? freshCarry();
  carry.runs++;
  const counters = carry.counters;

  let runningSince = carry.paused ? undefined : Date.now();
  let cancelling = false;
  let rollingOver = false;
  const buffer: Queued[] = [];
  let fetchCursor = carry.cursor;
  let exhausted = false;
  let fetching = false;
  let listingError: unknown;
  let inFlight = 0;
  const clerkBacklog: Array<{ tenant: Queued; schemaVersion: number }> = [];
  let clerkInFlight = 0;
  let published: string | undefined;
  // Bumped by every completion and handler; the loop sleeps until it moves.
  let tick = 0;
  const bump = () => void tick++;

  const processed = () => counters.migrated + counters.upToDate + counters.failed;

  function progress(state: FleetState, failureLimit: number): FleetProgress {
    const activeMs = carry.activeMs + (runningSince === undefined ? 0 : Date.now() - runningSince);
    const ratePerSecond = activeMs > 0 ? (processed() * 1000) / activeMs : 0;
    const pending = carry.total === undefined ? undefined : Math.max(0, carry.total - processed());
    const failures = carry.failures.slice(-failureLimit);
    return {
      state,
      pauseReason: carry.pauseReason,
      targetVersion: input.targetVersion,
      concurrency: input.concurrency,
      total: carry.total,
      done: counters.migrated + counters.upToDate,
      migrated: counters.migrated,
      upToDate: counters.upToDate,
      failed: counters.failed,
      pending,
      inFlight,
      ratePerSecond: Math.round(ratePerSecond * 10) / 10,
      etaSeconds: pending !== undefined && ratePerSecond > 0 ? Math.round(pending / ratePerSecond) : undefined,
      clerk: {
        updated: counters.clerkUpdated,
        failed: counters.clerkFailed,
        pending: clerkBacklog.length + clerkInFlight,
      },
      failures,
      failuresOmitted: carry.failuresOmitted + carry.failures.length - failures.length,
      startedAt: carry.startedAt,
      runs: carry.runs,
    };
  }
  const currentState = (): FleetState => (cancelling ? 'cancelling' : carry.paused ? 'paused' : 'running');
  const current = () => progress(currentState(), QUERY_FAILURES);

  /** Progress in the Temporal UI: current details on every change (free), state and memo when they move. */
  function publish(p: FleetProgress, statusValue: string = p.state): void {
    setCurrentDetails(`**Schema rollout to v${input.targetVersion}**\n\n${describeProgress(p)}`);
    const memo = `${statusValue}:${p.total}`;
    if (memo === published) return;
    published = memo;
    upsertSearchAttributes([{ key: STATUS, value: statusValue }]);
    upsertMemo({ progress: { state: statusValue, total: p.total, done: p.done, failed: p.failed } });
  }

  function pause(reason: string): void {
    if (carry.paused) return;
    carry.paused = true;
    carry.pauseReason = reason;
    carry.activeMs += Date.now() - (runningSince ?? Date.now());
    runningSince = undefined;
    bump();
  }
  function resume(): void {
    if (!carry.paused) return;
    carry.paused = false;
    carry.pauseReason = undefined;
    carry.failedAtResume = counters.failed;
    runningSince = Date.now();
    bump();
  }
  const notWhileCancelling = () => {
    if (cancelling) throw new Error('The rollout is being cancelled');
  };
  setHandler(fleetProgressQuery, current);
  setHandler(
    pauseFleetMigration,
    () => {
      pause('paused by an operator');
      return current();
    },
    { validator: notWhileCancelling },
  );
  setHandler(
    resumeFleetMigration,
    () => {
      resume();
      return current();
    },
    { validator: notWhileCancelling },
  );
  setHandler(cancelFleetMigration, () => {
    cancelling = true;
    bump();
    return current();
  });

  function recordFailure(tenant: TenantRef, stage: FleetFailure['stage'], error: unknown): void {
    const failure = { userId: tenant.userId, name: tenant.name, stage, error: failureMessage(error) };
    failure.error = failure.error.slice(0, MAX_ERROR_CHARS);
    if (carry.failures.length < MAX_KEPT_FAILURES) carry.failures.push(failure);
    else carry.failuresOmitted++;
    log.warn('fleet migration: tenant failed', { ...failure });
  }

  function fetchPage(): void {
    fetching = true;
    acts.listing
      .listTenantPage({ after: fetchCursor, limit: input.pageSize })
      .then(
        (page) => {
          carry.total = processed() + inFlight + buffer.length + page.remaining;
          buffer.push(...page.tenants.map((t) => ({ ...t, provider: page.provider })));
          fetchCursor = page.tenants.at(-1)?.name ?? fetchCursor;
          exhausted = page.remaining <= page.tenants.length;
        },
        (error: unknown) => {
          listingError = error;
        },
      )
      .finally(() => {
        fetching = false;
        bump();
      });
  }

  function startTenant(tenant: Queued): void {
    inFlight++;
    carry.cursor = tenant.name;
    acts.tenant
      .migrateTenant({
        tenant: { provider: tenant.provider, name: tenant.name, region: tenant.region },
        targetVersion: input.targetVersion,
      })
      .then(
        (result) => {
          if (result.applied.length > 0) counters.migrated++;
          else counters.upToDate++;
          if (input.updateClerk && clerkMayBeBehind(result)) {
            clerkBacklog.push({ tenant, schemaVersion: result.toVersion });
          }
        },
        (error: unknown) => {
          counters.failed++;
          recordFailure(tenant, 'migrate', error);
          const sinceResume = counters.failed - carry.failedAtResume;
          if (input.maxFailures > 0 && sinceResume >= input.maxFailures) {
            pause(`${sinceResume} tenants failed; look at the failures, then resume or cancel`);
          }
        },
      )
      .finally(() => {
        inFlight--;
        bump();
      });
  }

  function startClerkWrite({ tenant, schemaVersion }: { tenant: Queued; schemaVersion: number }): void {
    clerkInFlight++;
    acts.clerk
      .recordSchemaVersionOnClerk(tenant.userId, schemaVersion)
      .then(
        () => void counters.clerkUpdated++,
        (error: unknown) => {
          counters.clerkFailed++;
          recordFailure(tenant, 'record-on-clerk', error);
        },
      )
      .finally(() => {
        clerkInFlight--;
        bump();
      });
  }

  for (;;) {
    const seen = tick;
    if (listingError) throw listingError;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= input.maxHistoryEvents) rollingOver = true;
    const starting = !carry.paused && !cancelling && !rollingOver;
    if (starting && !exhausted && !fetching && buffer.length <= input.concurrency) fetchPage();
    while (starting && inFlight < input.concurrency && buffer.length > 0 && clerkBacklog.length < CLERK_BACKLOG_MAX) {
      startTenant(buffer.shift()!);
    }
    while (clerkInFlight < CLERK_WINDOW && clerkBacklog.length > 0) startClerkWrite(clerkBacklog.shift()!);
    publish(current());

    const idle = inFlight === 0 && !fetching && clerkInFlight === 0 && clerkBacklog.length === 0;
    if (idle && (cancelling || (exhausted && buffer.length === 0))) break;
    if (idle && rollingOver) {
      // Everything started has finished, so the cursor (the last tenant started) is exact; the rest of the
      // buffer is listed again by the next run.
      carry.activeMs += Date.now() - (runningSince ?? Date.now());
      await condition(allHandlersFinished);
      return continueAsNew<typeof fleetMigration>({ ...input, carried: carry });
    }
    await condition(() => tick !== seen);
  }

  const state: FleetState = cancelling ? 'cancelled' : 'completed';
  // Mid-run, `total` is an estimate from listing counts; once every tenant was handled it is the exact count.
  if (state === 'completed') carry.total = processed();
  const report: FleetReport = { ...progress(state, MAX_KEPT_FAILURES), finishedAt: new Date().toISOString() };
  const failed = counters.failed + counters.clerkFailed > 0;
  publish(report, state === 'completed' && failed ? 'completed-with-failures' : state);
  await condition(allHandlersFinished);
  return report;
}

/**
 * Migrates one user's tenant database now (`per-user-db migrate --user`), the same way the fleet migration
 * does, and records the new version on the Clerk user when it changed.
 */
export async function migrateTenantDatabase(input: TenantMigrationInput): Promise<TenantMigrationResult> {
  const acts = fleetActivities(input.maxAttempts);
  const tenant = await acts.listing.findTenant(input.userId);
  if (!tenant) {
    throw ApplicationFailure.nonRetryable(
      `The provider holds no tenant database for ${input.userId}`,
      'TenantNotFound',
    );
  }
  try {
    const result = await acts.tenant.migrateTenant({ tenant, targetVersion: input.targetVersion });
    if (input.updateClerk && clerkMayBeBehind(result)) {
      await acts.clerk.recordSchemaVersionOnClerk(input.userId, result.toVersion);
    }
    return { userId: input.userId, name: tenant.name, ...result };
  } catch (error) {
    throw ApplicationFailure.create({
      message: failureMessage(error),
      type: 'TenantMigrationFailed',
      nonRetryable: true,
      cause: error instanceof Error ? error : undefined,
    });
  }
}
