import {
  ApplicationFailure,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities } from '../activities/fleet.js';
import type { ReconcileActivities, ReconcileClerkActivities, RepairResult } from '../activities/reconcile.js';
import { reconcileClerkOptions, reconcileOptions } from './activity-options.js';
import {
  describeReconcile,
  MAX_KEPT_IDS,
  RECONCILE_LIMITS,
  reconcileProgressQuery,
  WRONG_INSTANCE_MIN_ORPHANS,
  type ReconcileCarry,
  type ReconcileInput,
  type ReconcilePhase,
  type ReconcileProgress,
  type ReconcileReport,
} from './reconcile-state.js';

/** Clerk's `user_id` filter takes at most 100 ids per request (MAX_USER_ID_FILTER). */
const CLERK_LOOKUP_CHUNK = 100;

function reconcileActivities() {
  return {
    db: proxyActivities<ReconcileActivities & Pick<FleetActivities, 'listTenantPage'>>(reconcileOptions),
    clerk: proxyActivities<ReconcileClerkActivities>(reconcileClerkOptions()),
  };
}

function validate(input: ReconcileInput): void {
  const problems = Object.entries(RECONCILE_LIMITS).flatMap(([key, [min, max]]) => {
    const value = input[key as keyof typeof RECONCILE_LIMITS];
    return Number.isInteger(value) && value >= min && value <= max
      ? []
      : [`${key} must be a whole number ${min}–${max}`];
  });
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), 'InvalidInput');
}

function freshCarry(): ReconcileCarry {
  return {
    startedAt: new Date().toISOString(),
    phase: 'users',
    userOffset: 0,
    databaseCursor: '',
    counters: {
      usersScanned: 0,
      databasesScanned: 0,
      toProvision: 0,
      provisioningStarted: 0,
      orphans: 0,
      orphansRemoved: 0,
      failed: 0,
    },
    toProvision: [],
    orphans: [],
    failures: [],
    runs: 0,
  };
}

const keep = (list: string[], ids: string[]) => list.push(...ids.slice(0, Math.max(0, MAX_KEPT_IDS - list.length)));

/**
 * Brings Clerk and the provider back in line, for users whose webhook never arrived (signed up before the
 * webhook existed, or Svix gave up) and databases whose user is gone. Phase `users` pages through Clerk oldest
 * first and starts the normal provisioning workflow for each user without a database; phase `databases` pages
 * through the provider's tenants in name order and reports each whose Clerk user no longer exists, starting
 * deprovisioning for it when `removeOrphans` is set (at most `maxRemovals` a run). A dry run only computes
 * the plan. Only counters, two cursors and capped id lists are kept, and it continues as new before the
 * history grows large, so any number of users fits.
 */
export async function reconcileDatabases(input: ReconcileInput): Promise<ReconcileReport> {
  validate(input);
  const acts = reconcileActivities();
  const carry = input.carried ?? freshCarry();
  carry.runs++;
  const counters = carry.counters;
  const removing = input.removeOrphans && !input.dryRun;

  const progress = (): ReconcileProgress => ({
    phase: carry.phase,
    dryRun: input.dryRun,
    removeOrphans: input.removeOrphans,
    ...counters,
    usersTotal: carry.usersTotal,
    databasesTotal: carry.databasesTotal,
    startedAt: carry.startedAt,
    runs: carry.runs,
    removalRefused: carry.removalRefused,
  });
  setHandler(reconcileProgressQuery, progress);
  /** Progress in the Temporal UI: current details and memo, after every page. */
  function publish(): void {
    const p = progress();
    setCurrentDetails(`**Reconciliation**\n\n${describeReconcile(p)}`);
    upsertMemo({ progress: { ...p } });
  }

  function recordRepairs(results: RepairResult[], action: 'provision' | 'deprovision'): number {
    let started = 0;
    for (const r of results) {
      if (r.error === undefined) {
        started++;
        continue;
      }
      counters.failed++;
      if (carry.failures.length < MAX_KEPT_IDS) carry.failures.push({ userId: r.userId, action, error: r.error });
      log.warn('reconcile: repair not started', { userId: r.userId, action, error: r.error });
    }
    return started;
  }

  /** Scans the next page of Clerk users; answers the phase that follows. */
  async function scanUserPage(): Promise<ReconcilePhase> {
    const page = await acts.clerk.listClerkUsers({ offset: carry.userOffset, limit: input.pageSize });
    carry.usersTotal = page.totalCount;
    const ids = page.users.map((u) => u.id);
    const withDatabase = new Set(ids.length > 0 ? await acts.db.usersWithDatabase(ids) : []);
    const missing = ids.filter((id) => !withDatabase.has(id));
    counters.usersScanned += ids.length;
    counters.toProvision += missing.length;
    keep(carry.toProvision, missing);
    if (!input.dryRun && missing.length > 0) {
      const results = await acts.db.startProvisioningFor(missing);
      for (const r of results) {
        // A completed run refuses a second one: its database was removed behind its back; say so.
        if (r.outcome === 'already-provisioned') r.error = 'provisioned before, but its database is gone';
      }
      counters.provisioningStarted += recordRepairs(results, 'provision');
    }
    carry.userOffset += ids.length;
    return ids.length < input.pageSize ? 'databases' : 'users';
  }

  /**
   * The wrong-key guard: a Clerk instance that knows none of the users of many databases is not this
   * deployment's (or is empty), and would have every database removed. So while Clerk has known none of the
   * users checked, orphans are held back: released once it knows one, refused for the whole run once
   * WRONG_INSTANCE_MIN_ORPHANS are held. Each deprovisioning run also asks Clerk about its own user before it
   * drops anything. Answers the orphans that may be removed now.
   */
  function guardRemovals(orphans: string[]): string[] {
    if (carry.removalRefused !== undefined) return [];
    const held = carry.heldOrphans ?? [];
    if (counters.orphans < counters.databasesScanned) {
      carry.heldOrphans = [];
      return [...held, ...orphans];
    }
    if (counters.orphans < WRONG_INSTANCE_MIN_ORPHANS) {
      carry.heldOrphans = [...held, ...orphans];
      return [];
    }
    carry.heldOrphans = [];
    carry.removalRefused =
      `Clerk knows none of the ${counters.orphans} users with a database checked: no database is removed ` +
      '(check that CLERK_SECRET_KEY and CLERK_API_URL are those of this deployment’s Clerk instance)';
    log.warn('reconcile: orphan removal refused', { orphans: counters.orphans, reason: carry.removalRefused });
    return [];
  }

  /** Starts deprovisioning for these orphans, at most `maxRemovals` a run (the rest are only reported). */
  async function removeOrphans(candidates: string[]): Promise<void> {
    const removable = candidates.slice(0, Math.max(0, input.maxRemovals - counters.orphansRemoved));
    if (removable.length > 0) {
      counters.orphansRemoved += recordRepairs(await acts.db.startDeprovisioningFor(removable), 'deprovision');
    }
    if (removable.length < candidates.length) {
      log.warn('reconcile: more orphans than maxRemovals; the rest are only reported', {
        maxRemovals: input.maxRemovals,
      });
    }
  }

  /** Scans the next page of tenant databases; answers the phase that follows. */
  async function scanDatabasePage(): Promise<ReconcilePhase> {
    const page = await acts.db.listTenantPage({ after: carry.databaseCursor, limit: input.pageSize });
    carry.databasesTotal = counters.databasesScanned + page.remaining;
    const ids = page.tenants.map((t) => t.userId);
    const live = new Set<string>();
    for (let i = 0; i < ids.length; i += CLERK_LOOKUP_CHUNK) {
      for (const id of await acts.clerk.liveClerkUsers(ids.slice(i, i + CLERK_LOOKUP_CHUNK))) live.add(id);
    }
    const orphans = ids.filter((id) => !live.has(id));
    counters.databasesScanned += ids.length;
    counters.orphans += orphans.length;
    keep(carry.orphans, orphans);
    if (removing) {
      await removeOrphans(patched('reconcile-wrong-instance-guard') ? guardRemovals(orphans) : orphans);
    }
    carry.databaseCursor = page.tenants.at(-1)?.name ?? carry.databaseCursor;
    return page.remaining <= page.tenants.length ? 'done' : 'databases';
  }

  publish();
  while (carry.phase !== 'done') {
    carry.phase = carry.phase === 'users' ? await scanUserPage() : await scanDatabasePage();
    publish();
    const info = workflowInfo();
    if (carry.phase !== 'done' && (info.continueAsNewSuggested || info.historyLength >= input.maxHistoryEvents)) {
      return continueAsNew<typeof reconcileDatabases>({ ...input, carried: carry });
    }
  }

  // Fewer than WRONG_INSTANCE_MIN_ORPHANS databases, none of whose users Clerk knows: a small deployment whose
  // users all left, not a wrong instance.
  if (carry.heldOrphans?.length) {
    await removeOrphans(carry.heldOrphans);
    carry.heldOrphans = [];
  }

  const report: ReconcileReport = {
    ...progress(),
    toProvisionIds: carry.toProvision,
    orphanIds: carry.orphans,
    failures: carry.failures,
    finishedAt: new Date().toISOString(),
  };
  log.info('reconcile: done', { ...counters });
  return report;
}
