import assert from 'node:assert/strict';
import { after } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { extractReferenceHolders } from '@temporalio/worker/lib/connection.js';
import { temporalExecutable } from '../../dev/local/temporal-binary.js';
import { startSdkDevServer } from '../../dev/local/temporal-dev-server.js';

let shared: Promise<TestWorkflowEnvironment> | undefined;
// Registered at import, on the root test: an `after` registered inside a suite's hook would run too early. Root
// hooks run in the order they were registered, so a file's own root `after` runs after this one: a worker it
// stops there still holds the connection this closes. The teardown would only print that; the file fails instead.
after(async () => {
  if (!shared) return;
  const env = await shared;
  const workers = extractReferenceHolders(env.nativeConnection).size;
  await env.teardown();
  assert.equal(
    workers,
    0,
    `${workers} worker(s) still ran on the shared Temporal connection when it closed: stop every worker (and await ` +
      'its run) in an `after` of the suite that started it, not in a root `after` of the file',
  );
});

/**
 * Starts a real Temporal dev server with our search attributes registered (and its Web UI when given a port),
 * installing the pinned CLI first when there is none.
 */
export async function startTemporalDevServer(uiPort?: number): Promise<TestWorkflowEnvironment> {
  return startSdkDevServer({
    executable: await temporalExecutable(process.env),
    ...(uiPort ? { ui: true, uiPort } : {}),
  });
}

/**
 * A real Temporal server for tests: the one test/run.ts started for the whole run (TEMPORAL_TEST_ADDRESS),
 * else a dev server of this process, stopped when the file's tests end.
 */
export function testTemporal(): Promise<TestWorkflowEnvironment> {
  shared ??= (async () => {
    const address = process.env.TEMPORAL_TEST_ADDRESS;
    return address
      ? TestWorkflowEnvironment.createFromExistingServer({ address, namespace: 'default' })
      : startTemporalDevServer();
  })();
  return shared;
}
