import { heartbeat, sleep } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { DatabaseProvider } from '../providers/types.js';
import { deprovisionWorkflowId } from '../workflows/deprovision-state.js';
import { provisionWorkflowId } from '../workflows/provision-state.js';
import { STATUS } from '../workflows/search-attributes.js';

const CLOSE_POLL_MS = 500;

/** The run's status name (`RUNNING`, `COMPLETED`, `CANCELLED`…), or undefined when there is no such workflow. */
async function runStatus(handle: WorkflowHandle): Promise<string | undefined> {
  try {
    return (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** Deprovisioning's activities on the main task queue. The Temporal client stops the user's provisioning run. */
export function createDeprovisionActivities({ provider, temporal }: { provider: DatabaseProvider; temporal: Client }) {
  return {
    /**
     * Cancels the user's provisioning run if it is open and waits until it has closed, so nothing creates the
     * database after it is dropped. Answers how that run ended (`none`: there was none). Heartbeats while waiting.
     */
    stopProvisioning: async (userId: string): Promise<{ provisioning: string }> => {
      const handle = temporal.workflow.getHandle(provisionWorkflowId(userId));
      let status = await runStatus(handle);
      if (status === 'RUNNING') {
        try {
          await handle.cancel();
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error; // it closed meanwhile
        }
      }
      while (status === 'RUNNING') {
        heartbeat();
        await sleep(CLOSE_POLL_MS);
        status = await runStatus(handle);
      }
      return { provisioning: status ?? 'none' };
    },
    /**
     * When the user's database was last restored (ISO), from the closed deprovisioning runs that ended
     * `restored`: Temporal keeps them whether or not the Clerk user still exists, where Clerk metadata would
     * be gone with the user. Undefined when it never was.
     */
    lastRestoredAt: async (userId: string): Promise<string | undefined> => {
      const query = `WorkflowId = '${deprovisionWorkflowId(userId)}' AND ${STATUS.name} = 'restored'`;
      let last: Date | undefined;
      for await (const run of temporal.workflow.list({ query })) {
        if (run.closeTime && (!last || run.closeTime > last)) last = run.closeTime;
      }
      return last?.toISOString();
    },
    /** Shuts the tenant out for the grace period; `kept` is false when there is no database to keep. */
    lockDatabase: async (userId: string): Promise<{ kept: boolean; locked: boolean }> => {
      if (!provider.lock) return { kept: true, locked: false };
      const { existed } = await provider.lock(userId);
      return { kept: existed, locked: existed };
    },
    unlockDatabase: async (userId: string): Promise<void> => {
      await provider.unlock?.(userId);
    },
    dropDatabase: async (userId: string): Promise<{ existed: boolean; provider: string }> => ({
      ...(await provider.drop(userId)),
      provider: provider.name,
    }),
  };
}

export type DeprovisionActivities = ReturnType<typeof createDeprovisionActivities>;
