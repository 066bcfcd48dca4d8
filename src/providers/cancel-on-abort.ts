import type pg from 'pg';

/**
 * While `work` runs on `client`, an abort of `signal` (the activity was cancelled) cancels the statement the
 * session is running, through `cancel` (`pg_cancel_backend` on another session): a statement blocked on a lock
 * would otherwise wait on, and closing the socket alone does not wake it. The awaited query then fails with
 * SQLSTATE 57014 and the work ends.
 */
export async function cancelOnAbort<T>(
  signal: AbortSignal | undefined,
  client: pg.ClientBase,
  cancel: (statement: string, values: unknown[]) => Promise<unknown>,
  work: () => Promise<T>,
): Promise<T> {
  // node-postgres knows its backend's pid from the start-up handshake but does not declare it in its types.
  const pid = (client as { processID?: unknown }).processID;
  if (!signal || typeof pid !== 'number') return work();
  signal.throwIfAborted();
  const onAbort = () => void cancel('SELECT pg_catalog.pg_cancel_backend($1)', [pid]).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
