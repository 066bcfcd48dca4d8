/**
 * Fuzzing the operator CLI's arguments: random, unicode and huge user ids, numbers and unknown flags. Each must
 * end in a one-line-style message on stderr and a non-zero exit code, never a stack trace, and never start a
 * workflow. The cases run in one child process (cli-harness.ts) against the real Temporal dev server; a sample
 * is re-run through the real entry point (src/cli.ts, one process each) to show the harness answers the same.
 */
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { eventually, randomToken } from '../helpers/pipeline.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { testTemporal } from '../helpers/temporal.js';
import { workflowIdsOnTaskQueue } from '../helpers/workflows.js';
import { fuzzRuns, fuzzSeed } from './runs.js';

const VALID_USER_ID = /^user_[A-Za-z0-9]{1,51}$/; // tenant_user_… fits 63 bytes
const CASE_CEILING_MS = 30_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const KNOWN_FLAGS = new Set([
  '--json',
  '--region',
  '--dry-run',
  '--remove-orphans',
  '--detach',
  '--limit',
  '--concurrency',
  '--max-attempts',
  '--max-failures',
  '--page-size',
  '--batch-size',
  '--history-events',
  '--no-clerk',
  '--user',
  '--watch',
  '--help',
  '--version',
]);

/** Printable ASCII and Latin-1 plus any unicode: what a shell can pass as one argument (no NUL). */
const argText = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
const invalidUserId = fc
  .oneof(
    argText,
    argText.map((s) => `user_${s}`),
    fc.constantFrom('', 'user_', 'user_../../etc', "user_a'; DROP TABLE x;--", 'USER_abc', 'user_ä', '--json', '-x1'),
    fc.integer({ min: 65, max: 50_000 }).map((n) => `user_${'a'.repeat(n)}`),
    fc.integer({ min: 1, max: 2_000 }).map((n) => `user_${'😀'.repeat(n)}`),
  )
  // `-h…` and `--help` ask for help, which is an answer, not an error.
  .filter((s) => !VALID_USER_ID.test(s) && !/^-(h|-help)/.test(s));
const validUserId = fc.stringMatching(/^[A-Za-z0-9]{1,20}$/).map((s) => `user_${s}`);
/** Not a whole number any numeric flag accepts: those are decimal digits only (`Number` reads " 7", "0x10", "1e3"). */
const badNumber = fc
  .oneof(
    fc.constantFrom('', 'abc', '1.5', '0.5e1x', 'NaN', 'Infinity', '1e309', '١٢'),
    fc.constantFrom('0x10', '0b11', '0o7', '1e3', ' 7', '7 ', '+5', '5.0', '1_000'),
    fc.integer({ min: 1_000_001, max: Number.MAX_SAFE_INTEGER }).map(String),
    argText,
  )
  .filter((n) => !n.startsWith('-') && !(/^[0-9]+$/.test(n) && Number(n) <= 1_000_000));
const unknownFlag = fc.oneof(
  fc.constantFrom('--force', '-x', '--regionx', '--user', '---', '--json=yes'),
  fc.stringMatching(/^--[a-z][a-z-]{0,15}$/).filter((f) => !KNOWN_FLAGS.has(f)),
);

/** Argument lists that are wrong in at least one way, so none may start anything. */
const invalidArgs: fc.Arbitrary<string[]> = fc.oneof(
  fc
    .tuple(fc.constantFrom('status', 'provision', 'deprovision'), invalidUserId, fc.boolean())
    .map(([c, id, json]) => [c, id, ...(json ? ['--json'] : [])]),
  fc
    .tuple(fc.constantFrom('status', 'provision', 'deprovision'), validUserId, unknownFlag)
    .map(([c, id, f]) => [c, id, f]),
  fc.constantFrom('status', 'provision', 'deprovision').map((c) => [c]),
  fc.tuple(fc.constantFrom('status', 'deprovision'), validUserId, validUserId).map(([c, a, b]) => [c, a, b]),
  fc
    .tuple(
      validUserId,
      argText.filter((r) => !/^[a-z0-9-]{1,64}$/.test(r) && !r.startsWith('-')),
    )
    .map(([id, region]) => ['provision', id, '--region', region]),
  badNumber.map((n) => ['list', '--limit', n]),
  fc
    .tuple(
      fc.constantFrom(
        '--concurrency',
        '--max-attempts',
        '--max-failures',
        '--page-size',
        '--batch-size',
        '--history-events',
      ),
      badNumber,
    )
    .map(([flag, n]) => ['migrate', flag, n]),
  invalidUserId.filter((id) => id !== '' && !id.startsWith('-')).map((id) => ['migrate', '--user', id]),
  fc
    .tuple(fc.constantFrom('reconcile', 'migrate', 'migrate status', 'list'), unknownFlag)
    .map(([c, f]) => [...c.split(' '), f]),
  argText
    .filter(
      (c) =>
        !['status', 'provision', 'deprovision', 'reconcile', 'list', 'migrate', 'help', ''].includes(c) &&
        !c.startsWith('-'),
    )
    .map((c) => [c]),
);

describe('CLI argument fuzz', () => {
  let env: Record<string, string>;
  let harness: ReturnType<typeof fork>;
  let pending: ((o: Outcome) => void) | undefined;
  let temporalClient: Awaited<ReturnType<typeof testTemporal>>['client'];

  /** One case through the harness; a case that does not end in time fails the property. */
  function runInProcess(args: string[]): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${CASE_CEILING_MS} ms: ${JSON.stringify(args)}`)),
        CASE_CEILING_MS,
      );
      pending = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      harness.send({ args, env });
    });
  }
  /** One case through the real entry point, as an operator runs it. */
  function runSpawned(args: string[]): Promise<Outcome> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_CEILING_MS);
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr: stderr || `killed after ${CASE_CEILING_MS} ms` });
      }),
    );
  }
  function assertRefused(args: string[], o: Outcome) {
    const where = `${JSON.stringify(args).slice(0, 300)} → ${o.code}: ${o.stderr.slice(0, 500)}`;
    assert.ok(o.code === 1 || o.code === 2, `exit code: ${where}`);
    assert.ok(o.stderr.trim().length > 0, `no message: ${where}`);
    assert.doesNotMatch(o.stderr, /\n\s+at .*:\d+:\d+|node_modules|\.ts:\d+|harness:/, `stack trace: ${where}`);
    assert.equal(o.stdout, '', `output on stdout: ${where}`);
  }

  before(async () => {
    const temporal = await testTemporal();
    temporalClient = temporal.client;
    env = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: await testDatabaseUrl(),
      TENANT_PASSWORD_SECRET: randomToken(32),
      TASK_QUEUE: `cli-fuzz-${randomToken(6)}`,
      TEMPORAL_ADDRESS: temporal.connection.options.address ?? '',
      LOG_LEVEL: 'warn',
    };
    harness = fork('test/fuzz/cli-harness.ts', [], {
      execArgv: ['--import', 'tsx'],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve) => harness.once('message', () => resolve()));
    harness.on('message', (m: Outcome) => pending?.(m));
  });
  after(() => {
    harness?.kill();
  });

  test('wrong arguments: non-zero exit, a message, no stack trace, nothing started', async () => {
    const started = Date.now();
    const runs = fuzzRuns(400);
    await fc.assert(
      fc.asyncProperty(invalidArgs, async (args) => assertRefused(args, await runInProcess(args))),
      { numRuns: runs, seed: fuzzSeed(), endOnFailure: true, includeErrorInReport: true },
    );
    console.log(`cli/in-process: ${runs} cases in ${Date.now() - started} ms`);
  });

  test('regression: migrate --user refuses an id longer than Clerk ids (64) like every other command', async () => {
    const args = ['migrate', '--user', `user_${'a'.repeat(69)}`];
    const outcome = await runInProcess(args);
    assertRefused(args, outcome);
    assert.match(outcome.stderr, /Clerk user id/);
  });

  test('a sample through the real entry point (one process each) gets the same exit code and error', async () => {
    const started = Date.now();
    const sample = fc.sample(
      invalidArgs.filter((a) => a.join(' ').length < 20_000),
      { numRuns: fuzzRuns(5), seed: fuzzSeed() },
    );
    for (const args of sample) {
      const spawned = await runSpawned(args);
      assertRefused(args, spawned);
      const inProcess = await runInProcess(args);
      assert.equal(inProcess.code, spawned.code, JSON.stringify(args));
      // The first line is the error; the usage after it also lists the commands only src/cli.ts registers.
      const firstLine = (o: Outcome) => o.stderr.split('\n')[0];
      assert.equal(firstLine(inProcess), firstLine(spawned), JSON.stringify(args));
    }
    console.log(`cli/spawned: ${sample.length} cases in ${Date.now() - started} ms`);
  });

  test('the task queue holds only the control a valid command started', async () => {
    // The control proves the harness can start workflows on this queue at all.
    const control = await runInProcess(['migrate', '--detach']);
    assert.equal(control.code, 0, control.stderr);
    const ids = await eventually(async () => {
      const found = await workflowIdsOnTaskQueue(temporalClient, env.TASK_QUEUE!);
      return found.length > 0 ? found : undefined;
    }, 'the control workflow in visibility');
    assert.equal(ids.length, 1, ids.join(', '));
    assert.match(ids[0]!, /fleet/);
  });
});
