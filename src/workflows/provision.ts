import {
  ApplicationFailure,
  defineQuery,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { DeprovisionActivities } from '../activities/deprovision.js';
import type { ProvisionActivities, ProvisionClerkActivities } from '../activities/provision.js';
import { provisionLocalOptions, provisionOptions, userClerkOptions } from './activity-options.js';
import { PROVIDER, STATUS } from './search-attributes.js';
import {
  STEP_NAMES,
  type ProvisionInput,
  type ProvisionState,
  type StepName,
  type ProvisionStatus,
} from './provision-state.js';

export const provisionStatusQuery = defineQuery<ProvisionState>('status');

const db = proxyActivities<ProvisionActivities & Pick<DeprovisionActivities, 'dropDatabase'>>(provisionOptions);
const localDb = proxyLocalActivities<ProvisionActivities>(provisionLocalOptions);

/**
 * Creates the user's database, applies the tenant schema and records the result on the Clerk user.
 * Keyed by `provision-db-<userId>`; every step is idempotent, so a rerun converges on the same database.
 */
export async function provisionDatabase(input: ProvisionInput): Promise<ProvisionState> {
  const state: ProvisionState = {
    userId: input.userId,
    status: 'provisioning',
    steps: STEP_NAMES.map((name) => ({ name, state: 'pending' })),
    database: null,
  };
  setHandler(provisionStatusQuery, () => state);
  const clerk = proxyActivities<ProvisionClerkActivities>(userClerkOptions());

  async function step<T>(name: StepName, run: () => Promise<T>): Promise<T> {
    const s = state.steps.find((x) => x.name === name)!;
    s.state = 'running';
    s.startedAt = new Date().toISOString();
    try {
      const result = await run();
      s.state = 'done';
      return result;
    } catch (error) {
      s.state = isCancellation(error) ? 'cancelled' : 'failed';
      s.error =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw error;
    } finally {
      s.finishedAt = new Date().toISOString();
    }
  }
  function finish(status: ProvisionStatus) {
    state.status = status;
    upsertSearchAttributes([{ key: STATUS, value: status }]);
  }

  try {
    // Runs from here on take four workflow tasks instead of five: the Clerk write doubles as the existence check
    // (a 404 there means the user is gone).
    const fewerRoundTrips = patched('provision-in-fewer-round-trips');
    // Runs from here on take two workflow tasks and one server-side activity (the Clerk write): create and migrate
    // run as local activities in the first task. Their summaries still show in the UI (on the markers).
    const databaseSteps = patched('database-steps-local') ? localDb : db;
    // A `user.created` delivered after the user was deleted (Svix orders best-effort only) creates nothing.
    const userExists = () =>
      clerk.clerkUserExists.executeWithOptions({ summary: `check that Clerk still has ${input.userId}` }, [
        input.userId,
      ]);
    if (!fewerRoundTrips && patched('check-clerk-user-exists') && !(await userExists())) {
      finish('deleted');
      log.info('Clerk user is gone: no database created', { userId: input.userId });
      return state;
    }
    const { userId, region, country, regionIgnored } = input;
    // Activity summaries: what each step does for whom, at a glance in the Temporal UI.
    const tenant = await step('create-database', () =>
      databaseSteps.createDatabase.executeWithOptions({ summary: `create the database of ${userId}` }, [
        { userId, region, country, regionIgnored },
      ]),
    );
    upsertSearchAttributes([{ key: PROVIDER, value: tenant.provider }]);
    const { schemaVersion } = await step('apply-migrations', () =>
      databaseSteps.applyMigrations.executeWithOptions({ summary: `apply the tenant schema to ${tenant.name}` }, [
        tenant,
      ]),
    );
    state.database = { ...tenant, schemaVersion, provisionedAt: new Date().toISOString() };
    const metadata = { status: 'ready' as const, ...state.database };
    const summary = { summary: `record ${tenant.name} on the Clerk user` };
    if (!fewerRoundTrips) {
      await step('record-on-clerk', () => clerk.recordOnClerk.executeWithOptions(summary, [userId, metadata]));
    } else if (
      !(await step('record-on-clerk', () =>
        clerk.recordOnClerkIfUserExists.executeWithOptions(summary, [userId, metadata]),
      ))
    ) {
      // Deleted before (a late `user.created`) or while this run worked: nothing may outlive the user.
      await db.dropDatabase.executeWithOptions({ summary: `drop ${tenant.name}: the Clerk user is gone` }, [userId]);
      state.database = null;
      finish('deleted');
      log.info('Clerk user is gone: the database created for it was dropped', { userId, database: tenant.name });
      return state;
    }
    finish('ready');
    log.info('database ready', { userId: input.userId, database: tenant.name });
    return state;
  } catch (error) {
    if (isCancellation(error)) {
      // Stopped by the user's deprovisioning run, which drops whatever was created once this run has closed, so
      // the only cleanup is this synchronous status change (no activity, hence no non-cancellable scope).
      finish('cancelled');
      throw error;
    }
    finish('failed');
    if (error instanceof ApplicationFailure) throw error;
    throw ApplicationFailure.nonRetryable(`provisioning failed for ${input.userId}`, 'ProvisioningFailed', error);
  }
}
