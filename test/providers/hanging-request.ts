import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StandInHandle } from '../../dev/xata-stand-in/index.js';

/**
 * Makes the stand-in hold the next `method` request to `path` unanswered, starts `call` with a signal, aborts
 * that signal once the request arrived, and answers how `call` failed. A call that ignores the signal never
 * settles: the test's timeout fails it.
 */
export async function abortedWhileHanging(
  standIn: StandInHandle,
  request: { method: string; path: string },
  call: (signal: AbortSignal) => Promise<unknown>,
): Promise<Error> {
  standIn.setFault({ ...request, hang: true });
  const arrived = () => standIn.requests.some((r) => r.method === request.method && r.path.endsWith(request.path));
  const cancel = new AbortController();
  const settled = call(cancel.signal).then(
    () => assert.fail('expected the cancelled call to fail'),
    (error: unknown) => error as Error,
  );
  while (!arrived()) await sleep(10);
  cancel.abort();
  return settled;
}
