import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';

/** Waits for a workflow's result; a failed run becomes an error naming `what` and the cause. */
export async function workflowOutcome<T>(handle: WorkflowHandle, what: string): Promise<T> {
  try {
    return (await handle.result()) as T;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      throw new Error(`${what} failed: ${error.cause?.message ?? error.message}`, { cause: error });
    }
    throw error;
  }
}
