import { ApplicationFailure, continueAsNew } from '@temporalio/workflow';
import type { CredentialRotationInput, FleetReport } from './fleet-migration-state.js';
import { fleetActivities } from './fleet-migration.js';
import { batchSummary, mapOutcomes, rolloutInputProblems, runRollout } from './fleet-rollout.js';

/**
 * Re-sets every tenant role's password from the worker's current TENANT_PASSWORD_SECRET (`per-user-db
 * rotate-credentials`): the fleet migration's rollout (sliding window, progress, pause/resume/cancel,
 * continue-as-new) with another operation per tenant. No secret passes through the workflow: each activity
 * derives the password from its worker's configuration, and setting it again is harmless.
 */
export async function credentialRotation(input: CredentialRotationInput): Promise<FleetReport> {
  const problems = rolloutInputProblems(input);
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), 'InvalidInput');
  const acts = fleetActivities(input.maxAttempts);
  return runRollout(
    input,
    {
      title: 'Credential rotation',
      stage: 'rotate-credentials',
      async run(tenant, retried = false) {
        if (!retried) return { changed: (await acts.tenant.rotateTenantCredentials(tenant)).existed };
        const summary = { summary: `retry ${tenant.name} alone` };
        return { changed: (await acts.retry.rotateTenantCredentials.executeWithOptions(summary, [tenant])).existed };
      },
      async runBatch(tenants) {
        const summary = { summary: batchSummary('rotate the credentials of', tenants) };
        const outcomes = await acts.tenant.rotateTenantsCredentials.executeWithOptions(summary, [tenants]);
        return mapOutcomes(outcomes, ({ existed }) => ({ changed: existed }));
      },
    },
    acts,
    (carried) => continueAsNew<typeof credentialRotation>({ ...input, carried }),
  );
}
