import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { DeprovisionActivities } from '../activities/deprovision.js';
import type { ProvisionClerkActivities } from '../activities/provision.js';
import { deprovisionOptions, stopProvisioningOptions, userClerkOptions } from './activity-options.js';
import type { DeprovisionInput, DeprovisionState, DeprovisionStatus } from './deprovision-state.js';
import { PROVIDER, STATUS } from './search-attributes.js';

export const deprovisionStatusQuery = defineQuery<DeprovisionState>('status');
/** Ends a deletion's grace period keeping the database (unlocked); answers once it is unlocked. */
export const restoreUpdate = defineUpdate<DeprovisionState>('restore');

const db = proxyActivities<DeprovisionActivities>(deprovisionOptions);
const provisioning = proxyActivities<DeprovisionActivities>(stopProvisioningOptions);

/**
 * Why a deletion must not go ahead, or undefined when it may. The event alone is not trusted: one older than the
 * user's last restore is a late retry or replay (`ignored`); and unless an operator asked, Clerk must confirm the
 * user is gone (a 404), so a forged or mistaken `user.deleted` or a misjudged orphan keeps the database (`kept`).
 */
async function confirmDeletion(
  input: DeprovisionInput,
  clerk: Pick<ProvisionClerkActivities, 'clerkUserExists'>,
): Promise<{ status: 'ignored' | 'kept'; state: Partial<DeprovisionState> } | undefined> {
  const { userId, reason, eventId, eventAt } = input;
  if (eventAt !== undefined) {
    const restoredAt = await db.lastRestoredAt(userId);
    if (restoredAt !== undefined && Date.parse(eventAt) < Date.parse(restoredAt)) {
      log.warn('deletion ignored: the event is older than the last restore', { userId, eventId, eventAt, restoredAt });
      return { status: 'ignored', state: { restoredAt } };
    }
  }
  if (reason !== 'operator' && (await clerk.clerkUserExists(userId))) {
    log.warn('DELETION REFUSED: Clerk still has this user; the database is kept', { userId, eventId, reason });
    return { status: 'kept', state: {} };
  }
  return undefined;
}

/**
 * Removes the user's database. Keyed by `deprovision-db-<userId>`. Stops the user's provisioning run first
 * (cancel, then wait for it to close) so nothing creates the database after the drop; optionally keeps the
 * database locked for a grace period, during which the `restore` update keeps it; then drops it and records
 * `deleted` on the Clerk user if that user still exists. Every step is idempotent: a repeated delete converges.
 */
export async function deprovisionDatabase(input: DeprovisionInput): Promise<DeprovisionState> {
  const { userId, reason } = input;
  const state: DeprovisionState = { userId, reason, status: 'deleting' };
  let restoreRequested = false;
  setHandler(deprovisionStatusQuery, () => state);
  setHandler(
    restoreUpdate,
    async () => {
      restoreRequested = true;
      await condition(() => state.status === 'restored');
      return state;
    },
    {
      validator: () => {
        if (state.status !== 'locked') {
          throw new Error(`Only a deletion in its grace period can be restored; this one is ${state.status}`);
        }
      },
    },
  );
  const clerk = proxyActivities<ProvisionClerkActivities>(userClerkOptions());
  const setStatus = (status: DeprovisionStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: STATUS, value: status }]);
  };

  if (patched('deprovision-trusts-clerk')) {
    const verdict = await confirmDeletion(input, clerk);
    if (verdict) {
      Object.assign(state, verdict.state);
      setStatus(verdict.status);
      return state;
    }
  }

  ({ provisioning: state.provisioning } = await provisioning.stopProvisioning(userId));

  const gracePeriodMs = input.gracePeriodMs ?? 0;
  if (gracePeriodMs > 0 && (await db.lockDatabase(userId)).kept) {
    state.dropAt = new Date(Date.now() + gracePeriodMs).toISOString();
    setStatus('locked');
    state.recordedOnClerk = await clerk.recordDatabaseStatusIfUserExists(userId, 'deleting');
    const restored = await condition(() => restoreRequested, gracePeriodMs);
    state.dropAt = undefined;
    if (restored) {
      await db.unlockDatabase(userId);
      state.recordedOnClerk = await clerk.recordDatabaseStatusIfUserExists(userId, 'ready');
      setStatus('restored');
      log.info('deletion restored within its grace period', { userId });
      await condition(allHandlersFinished);
      return state;
    }
    setStatus('deleting');
  }

  const dropped = await db.dropDatabase(userId);
  state.databaseExisted = dropped.existed;
  upsertSearchAttributes([{ key: PROVIDER, value: dropped.provider }]);
  state.recordedOnClerk = await clerk.recordDatabaseStatusIfUserExists(userId, 'deleted');
  setStatus('deleted');
  log.info('database deleted', { userId, reason, existed: dropped.existed });
  return state;
}
