/**
 * `npm test`: starts one real PostgreSQL (unless DATABASE_URL is set) and one real Temporal dev server,
 * shares them with every test file through the environment, and runs node's test runner.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startThrowawayPostgres } from '../dev/local/embedded-postgres.js';
import { freePort } from '../dev/local/free-port.js';
import { startTemporalDevServer } from './helpers/temporal.js';

const requested = process.argv.slice(2);
// Node 20's runner takes no globs: find the test files ourselves.
const files =
  requested.length > 0
    ? requested
    : (await readdir('test', { recursive: true }))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => join('test', f));
const pg = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres('test');
const uiPort = await freePort();
const temporal = await startTemporalDevServer(uiPort);
const address = temporal.connection.options.address;

const code = await new Promise<number>((resolveCode) => {
  // Two files at a time: most of a file's time is waiting (servers, timers, child processes), and every file
  // uses names of its own, so files never collide.
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASE_URL: process.env.DATABASE_URL ?? pg?.url,
      TEMPORAL_TEST_ADDRESS: address,
      TEMPORAL_TEST_UI_URL: `http://127.0.0.1:${uiPort}`,
    },
  });
  child.on('exit', (exitCode, signal) => resolveCode(exitCode ?? (signal ? 1 : 0)));
});

await temporal.teardown();
await pg?.stop();
process.exit(code);
