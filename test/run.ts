/**
 * `npm test`: starts one real PostgreSQL (unless DATABASE_URL is set) and one real Temporal dev server,
 * shares them with every test file through the environment, and runs node's test runner.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startThrowawayPostgres } from '../dev/local/embedded-postgres.js';
import { freePort } from '../dev/local/free-port.js';
import { startTemporalDevServer } from './helpers/temporal.js';

/**
 * The longest files, longest first (70 s or more in a full run at machine load 13–36: see
 * bench/profiles/2026-11-29-issue15-s5/testtime.md). The runner starts files in the order given, two at a time, so
 * these start first and the short ones fill in beside them: a long file started last would run alone at the end.
 * Re-measure and reorder when a file's duration changes much; a file missing here runs after them, alphabetically.
 */
const LONGEST_FIRST = [
  'test/reliability/chaos-quick.test.ts',
  'test/cli/ops.test.ts',
  'test/e2e/stack-crash.test.ts',
  'test/integration/fleet-migration.test.ts',
  'test/fuzz/migrations.test.ts',
  'test/e2e/local-stack.test.ts',
  'test/reliability/clerk-fleet-rate.test.ts',
  'test/integration/observability.test.ts',
  'test/integration/fleet-batches.test.ts',
  'test/e2e/demo.test.ts',
  'test/integration/reconcile.test.ts',
  'test/integration/credential-rotation.test.ts',
  'test/integration/graceful-shutdown.test.ts',
  'test/integration/weak-secrets.test.ts',
  'test/tenant-router/postgres.test.ts',
  'test/e2e/compose-services.test.ts',
  'test/fuzz/cli.test.ts',
  'test/hookdeck/setup.test.ts',
  'test/fuzz/receiver.test.ts',
  'test/integration/fleet-orphans.test.ts',
  'test/integration/crash-recovery.test.ts',
];

const requested = process.argv.slice(2);
// Node 20's runner takes no globs: find the test files ourselves.
const found =
  requested.length > 0
    ? requested
    : (await readdir('test', { recursive: true })).filter((f) => f.endsWith('.test.ts')).map((f) => join('test', f));
const rank = (file: string) => {
  const i = LONGEST_FIRST.indexOf(file);
  return i === -1 ? LONGEST_FIRST.length : i;
};
const files = found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
// The workflow code bundled once for every worker the tests start, in process or as child processes
// (WORKFLOW_BUNDLE), instead of by webpack in each of them: about 3 s of CPU per worker start on this machine.
const bundleDir = await mkdtemp(join(tmpdir(), 'per-user-db-test-bundle-'));
const workflowBundle = join(bundleDir, 'workflow-bundle.js');
await promisify(execFile)(process.execPath, [
  '--import',
  'tsx',
  'scripts/bundle-workflows.ts',
  resolve('src', 'workflows', 'index.ts'),
  workflowBundle,
]);
const pg = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres('test');
const uiPort = await freePort();
const temporal = await startTemporalDevServer(uiPort);
const address = temporal.connection.options.address;

const unreportedList = join(bundleDir, 'unreported-files.txt');
const reporters = [
  // node's own default: spec on a terminal, TAP otherwise.
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  `--test-reporter=${resolve('test', 'reporters', 'unreported-files.mjs')}`,
  `--test-reporter-destination=${unreportedList}`,
];

const exitCode = await new Promise<number>((resolveCode) => {
  // Two files at a time: most of a file's time is waiting (servers, timers, child processes), and every file
  // uses names of its own, so files never collide.
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...files], {
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASE_URL: process.env.DATABASE_URL ?? pg?.url,
      TEMPORAL_TEST_ADDRESS: address,
      TEMPORAL_TEST_UI_URL: `http://127.0.0.1:${uiPort}`,
      WORKFLOW_BUNDLE: workflowBundle,
    },
  });
  child.on('exit', (code, signal) => resolveCode(code ?? (signal ? 1 : 0)));
});

const unreported = (await readFile(unreportedList, 'utf8').catch(() => '')).split('\n').filter(Boolean);
if (unreported.length > 0) {
  process.stderr.write(
    `\nThese test files ended without reporting their tests (the runner counts each as one test by its path):\n` +
      unreported.map((file) => `  ${file}\n`).join(''),
  );
}
await temporal.teardown();
await pg?.stop();
await rm(bundleDir, { recursive: true, force: true });
process.exit(unreported.length > 0 ? 1 : exitCode);
