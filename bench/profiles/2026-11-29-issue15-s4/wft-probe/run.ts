/**
 * Workflow-task probe: `npx tsx bench/profiles/2026-11-29-issue15-s4/wft-probe/run.ts [runs] [rounds]
 * [variants...]` (stdout: the worker's pino lines; stderr: the figures). One dev server, one worker per
 * variant on its own task queue, all in this process with the production worker's settings; runs one at a
 * time, variants alternated round by round. Per variant: each task's run (WorkflowTaskStarted →
 * WorkflowTaskCompleted, server clock) and the SDK's own temporal_workflow_task_execution_latency (core
 * received the task → lang's completion back in core, before RespondWorkflowTaskCompleted).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../../../../dev/local/free-port.js';
import { temporalExecutable } from '../../../../dev/local/temporal-binary.js';
import { startSdkDevServer } from '../../../../dev/local/temporal-dev-server.js';
import { createLogger } from '../../../../src/log.js';
import { sdkLogger } from '../../../../src/telemetry/temporal-runtime.js';
import { workflowOutcomeSinks } from '../../../../src/telemetry/worker-metrics.js';
import { clerkTaskQueue } from '../../../../src/workflows/provision-state.js';
import { childPid, watchCpu } from '../../../cpu.js';
import { historyBreakdown } from '../../../profile.js';
import { distribution } from '../../../report.js';
import type { ProbeOptions } from './workflows.js';

const [runsArg, roundsArg, ...only] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 20);
const ROUNDS = Number(roundsArg ?? 3);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Variant {
  name: string;
  interceptors: boolean;
  workflow: 'probe' | 'provisionDatabase';
  options?: ProbeOptions;
}
const ALL: Variant[] = [
  { name: 'bare', interceptors: false, workflow: 'probe', options: {} },
  { name: 'interceptor', interceptors: true, workflow: 'probe', options: {} },
  { name: 'summaries', interceptors: false, workflow: 'probe', options: { summaries: true } },
  { name: 'upsert', interceptors: false, workflow: 'probe', options: { upsert: true } },
  { name: 'log', interceptors: false, workflow: 'probe', options: { log: true } },
  { name: 'query', interceptors: false, workflow: 'probe', options: { query: true } },
  {
    name: 'all',
    interceptors: true,
    workflow: 'probe',
    options: { summaries: true, upsert: true, log: true, query: true },
  },
  { name: 'provisionDatabase', interceptors: true, workflow: 'provisionDatabase' },
];
const variants = only.length ? ALL.filter((v) => only.includes(v.name)) : ALL;

const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'worker');
// As installTemporalRuntime (src/telemetry/temporal-runtime.ts) installs it, with buckets fine enough for a median.
const BUCKETS_MS = [
  0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 17, 20, 25, 30, 40, 50, 75, 100, 200, 500, 1000,
];
const sdkMetricsAddress = `127.0.0.1:${await freePort()}`;
Runtime.install({
  logger: sdkLogger(logger, 'info'),
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'INFO' }), forward: {} },
    metrics: {
      prometheus: {
        bindAddress: sdkMetricsAddress,
        histogramBucketOverrides: Object.fromEntries(
          ['workflow_task_execution_latency', 'request_latency'].map((name) => [name, BUCKETS_MS]),
        ),
      },
    },
  },
});
const sdkMetricsUrl = `http://${sdkMetricsAddress}/metrics`;
const server = await startSdkDevServer({ executable: await temporalExecutable(process.env) });
const connection = await NativeConnection.connect({ address: server.address });
const client = new Client({ connection: server.connection, namespace: 'default' });

const bundle = (interceptors: boolean) =>
  bundleWorkflowCode({
    workflowsPath: here('./workflows.ts'),
    workflowInterceptorModules: interceptors ? [here('../../../../src/telemetry/workflow-interceptors.ts')] : [],
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
const bundles = { true: await bundle(true), false: await bundle(false) };

const noop = {
  createDatabase: async ({ userId }: { userId: string }) => ({
    provider: 'postgres',
    name: `u_${userId}`,
    region: 'eu',
  }),
  applyMigrations: async () => ({ schemaVersion: 3, applied: [1, 2, 3] }),
  recordOnClerkIfUserExists: async () => true,
};

const workers: Worker[] = [];
const queues = new Map<string, string>();
for (const v of variants) {
  const taskQueue = `probe-${v.name}-${randomBytes(3).toString('hex')}`;
  queues.set(v.name, taskQueue);
  // The production worker's options (src/worker/run.ts), its defaults from src/config/schema.ts.
  workers.push(
    await Worker.create({
      connection,
      taskQueue,
      workflowBundle: bundles[`${v.interceptors}`],
      activities: noop,
      sinks: v.interceptors ? workflowOutcomeSinks : {},
      maxConcurrentActivityTaskExecutions: 16,
      maxCachedWorkflows: 100,
      maxHeartbeatThrottleInterval: '1s',
    }),
  );
  if (v.workflow === 'provisionDatabase')
    workers.push(await Worker.create({ connection, taskQueue: clerkTaskQueue(taskQueue), activities: noop }));
}
const running = workers.map((w) => w.run());

/** Cumulative bucket counts (by `le`) of one SDK histogram over the series whose labels include `match`. */
async function histogram(name: string, match: string[]): Promise<Map<number, number>> {
  const text = await (await fetch(sdkMetricsUrl)).text();
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`temporal_${name}_bucket{`) || !match.every((m) => line.includes(m))) continue;
    const le = line.match(/le="([^"]+)"/)![1]!;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.split(' ').at(-1)));
  }
  return buckets;
}
const minus = (a: Map<number, number>, b: Map<number, number>) =>
  new Map([...a].map(([le, n]) => [le, n - (b.get(le) ?? 0)] as const));
const add = (a: Map<number, number> | undefined, b: Map<number, number>) =>
  new Map([...b].map(([le, n]) => [le, n + (a?.get(le) ?? 0)] as const));
/** The median from cumulative buckets, linear within its bucket. */
function median(buckets: Map<number, number>): string {
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  let lower = 0;
  let below = 0;
  for (const [le, n] of sorted) {
    if (n >= total / 2) {
      const within = n - below;
      const upper = Number.isFinite(le) ? le : lower;
      return `${(lower + (within ? ((total / 2 - below) / within) * (upper - lower) : 0)).toFixed(1)} ms (${total})`;
    }
    lower = le;
    below = n;
  }
  return '—';
}
const SERIES = {
  exec: ['workflow_task_execution_latency', (q: string) => [`task_queue="${q}"`]],
  // Not labelled by task queue: the variants run one after the other, the other workers only long-poll meanwhile.
  respond: ['request_latency', () => [`operation="RespondWorkflowTaskCompleted"`]],
} as const;

const serverPid = await childPid('temporal');
const taskRuns: Record<string, number[]> = {};
const cpu: Record<string, { server: number; process: number; runs: number }> = {};
const totals: Record<string, number[]> = {};
const hist: Record<string, Partial<Record<keyof typeof SERIES, Map<number, number>>>> = {};
const loads: string[] = [];
const runOne = async (v: Variant, taskQueue: string) => {
  const userId = `user_${randomBytes(6).toString('hex')}`;
  const workflowId = `probe-${userId}`;
  const args = v.workflow === 'probe' ? [userId, v.options] : [{ userId }];
  await client.workflow.execute(v.workflow, { workflowId, taskQueue, args });
  return workflowId;
};
// Warm-up, not counted: the first runs create each worker's isolate context and warm the JIT.
for (const v of variants) for (let i = 0; i < 3; i++) await runOne(v, queues.get(v.name)!);
for (let round = 0; round < ROUNDS; round++) {
  loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));
  for (const v of variants) {
    const taskQueue = queues.get(v.name)!;
    const snapshot = () =>
      Promise.all(Object.values(SERIES).map(([name, labels]) => histogram(name, labels(taskQueue))));
    const before = await snapshot();
    const ids: string[] = [];
    const watch = watchCpu({ server: serverPid });
    for (let i = 0; i < RUNS; i++) ids.push(await runOne(v, taskQueue));
    const used = await watch.stop();
    const c = (cpu[v.name] ??= { server: 0, process: 0, runs: 0 });
    c.server += used.server!;
    c.process += used.bench!;
    c.runs += RUNS;
    for (const workflowId of ids) {
      const b = await historyBreakdown(client, workflowId);
      for (let t = 1; t <= b.workflowTasks!; t++) (taskRuns[v.name] ??= []).push(b[`workflowTask${t}.run`] ?? 0);
      (totals[v.name] ??= []).push(b.workflowTaskRun ?? 0);
    }
    const after = await snapshot();
    const h = (hist[v.name] ??= {});
    (Object.keys(SERIES) as Array<keyof typeof SERIES>).forEach(
      (k, i) => (h[k] = add(h[k], minus(after[i]!, before[i]!))),
    );
  }
}
loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));

console.error(`runs ${RUNS} × rounds ${ROUNDS}; load per round: ${loads.join(' | ')}`);
console.error(
  'variant | tasks/run | task run p50 / mean (history) | all tasks of a run p50 | worker: SDK workflow_task_execution_latency p50 | RespondWorkflowTaskCompleted RPC p50 | CPU ms/run server / this process',
);
for (const v of variants) {
  const t = distribution(taskRuns[v.name]!);
  const total = distribution(totals[v.name]!);
  const h = hist[v.name]!;
  console.error(
    `${v.name} | ${(taskRuns[v.name]!.length / totals[v.name]!.length).toFixed(1)} | ${t.p50} / ${t.mean} ms | ${total.p50} ms | ${median(h.exec!)} | ${median(h.respond!)} | ${(cpu[v.name]!.server / cpu[v.name]!.runs).toFixed(1)} / ${(cpu[v.name]!.process / cpu[v.name]!.runs).toFixed(1)}`,
  );
}

if (process.env.PROBE_METRICS) writeFileSync(process.env.PROBE_METRICS, await (await fetch(sdkMetricsUrl)).text());
for (const w of workers) w.shutdown();
await Promise.all(running);
await connection.close();
await server.teardown();
