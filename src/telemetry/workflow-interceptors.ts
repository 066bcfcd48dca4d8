/**
 * Workflow interceptors bundled with the workflow code (worker/bundle.ts): deterministic, sandboxed, and only
 * reporting through sinks, which the worker runs outside the sandbox and skips during replay.
 */
import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  type Sinks,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export interface WorkflowOutcomeSinks extends Sinks {
  workflowOutcome: {
    /** `outcome`: the result's `status` when it has one (provisioning: ready, deleted), else completed; failed, cancelled. */
    closed(outcome: string): void;
  };
}

const { workflowOutcome } = proxySinks<WorkflowOutcomeSinks>();

function resultOutcome(result: unknown): string {
  const status = (result as { status?: unknown } | null | undefined)?.status;
  return typeof status === 'string' ? status : 'completed';
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        try {
          const result = await next(input);
          workflowOutcome.closed(resultOutcome(result));
          return result;
        } catch (error) {
          if (!(error instanceof ContinueAsNew)) workflowOutcome.closed(isCancellation(error) ? 'cancelled' : 'failed');
          throw error;
        }
      },
    },
  ],
});
