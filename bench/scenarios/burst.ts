import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import { childPid, watchCpu } from '../cpu.js';
import { distribution, ms, ratio, type ScenarioResult } from '../report.js';
import type { BenchStack } from '../stack.js';
import { watchTemporalServer } from '../temporal-metrics.js';

export interface BurstParams {
  users: number;
  /** Every n-th sign-up is posted twice (a second delivery of the same event). */
  duplicateEvery: number;
  /** The floor's concurrency: the worker's WORKER_MAX_CONCURRENT_ACTIVITIES. */
  concurrency: number;
}

export const BURST_TARGET_RATIO = 0.8;

/**
 * `users` sign-ups posted all at once (every n-th twice): time until every user is ready on Clerk, against the
 * floor doing the same provisionings at the worker's concurrency. Then checks nothing was provisioned twice.
 */
export async function runBurst(stack: BenchStack, params: BurstParams): Promise<Omit<ScenarioResult, 'load'>> {
  // Floor first, on users of its own; its tenants are dropped before the pipeline runs, so both start alike.
  const floorUsers = await stack.newUsers(params.users);
  const floor = await stack.floor.provisionAll(
    floorUsers.map((u) => u.id),
    params.concurrency,
  );
  await stack.dropTenants(floorUsers.map((u) => u.id));

  const users = await stack.newUsers(params.users);
  const posts = users.flatMap((user, i) => {
    const body = stack.createdEvent(user);
    return i % params.duplicateEvery === 0 ? [body, body] : [body];
  });
  const memory = stack.watchServices();
  // Which process spends the two cores: CPU time (not wall clock) of each, per user and as cores busy.
  const cpu = watchCpu({
    temporalServer: await childPid('temporal'),
    worker: stack.worker.pid,
    receiver: stack.receiver.process.pid,
  });
  const server = await watchTemporalServer(stack.temporal.metricsUrl);
  const started = performance.now();
  const ready = Promise.all(users.map((u) => stack.tap.waitForStatus(u.id, 'ready')));
  const acks = await Promise.all(posts.map((body) => stack.post(body).catch(() => ({ status: 0, ms: NaN }))));
  // What Svix does with a non-2xx answer (its delays scaled down): deliver again until accepted.
  const accepted = acks.map((a) => a.status >= 200 && a.status < 300);
  let redeliveries = 0;
  for (let round = 0; round < 5 && accepted.includes(false); round++) {
    await new Promise((r) => setTimeout(r, 1_000 * 2 ** round));
    const refused = posts.flatMap((body, i) => (accepted[i] ? [] : [i]));
    redeliveries += refused.length;
    await Promise.all(
      refused.map(async (i) => {
        const again = await stack.post(posts[i]!).catch(() => ({ status: 0 }));
        accepted[i] = again.status >= 200 && again.status < 300;
      }),
    );
  }
  const readyAt = (await ready).map((w) => w.at - started);
  const elapsedMs = Math.max(...readyAt);
  const peaks = await memory.stop();
  const cpuMs = await cpu.stop();
  const serverCost = await server.stop(params.users, elapsedMs);
  const round2 = (v: number) => Math.round(v * 100) / 100;
  const cpuPerUserMs = Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, round2(v / params.users)]));
  const coresBusy = Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, round2(v / elapsedMs)]));

  const check = await checkNoDuplicates(
    stack,
    users.map((u) => u.id),
  );
  await stack.dropTenants(users.map((u) => u.id));

  const oursRate = (params.users * 1000) / elapsedMs;
  const floorRate = (params.users * 1000) / floor.elapsedMs;
  const statuses = countBy(acks.map((a) => String(a.status)));
  const non2xx = acks.filter((a) => a.status < 200 || a.status > 299).length;
  return {
    scenario: 'burst',
    parameters: { ...params, posted: posts.length },
    summary: [
      { metric: 'all ready after', value: ms(elapsedMs), floor: ms(floor.elapsedMs) },
      {
        metric: 'users/s',
        value: oursRate.toFixed(1),
        floor: floorRate.toFixed(1),
        target: `≥ ${BURST_TARGET_RATIO}× floor`,
        met: oursRate >= BURST_TARGET_RATIO * floorRate,
      },
      { metric: 'ratio to floor', value: ratio(oursRate, floorRate) },
      {
        metric: 'sign-up → ready p50 / p99',
        value: `${ms(distribution(readyAt).p50)} / ${ms(distribution(readyAt).p99)}`,
      },
      { metric: 'webhook non-2xx (redelivered as Svix would)', value: String(non2xx) },
      {
        metric: 'duplicate databases / runs / Clerk writes',
        value: `${check.duplicateDatabases} / ${check.extraRuns} / ${check.extraWrites}`,
        target: '0 / 0 / 0',
        met: check.duplicateDatabases + check.extraRuns + check.extraWrites + check.missing === 0,
      },
      { metric: 'peak RSS worker / receiver', value: `${peaks.worker.peakRssMb} / ${peaks.webhook.peakRssMb} MiB` },
      {
        // The bench process holds the Clerk stand-in and its tap; PostgreSQL is not counted.
        metric: 'CPU ms per user: Temporal server / worker / receiver / bench',
        value: `${cpuPerUserMs.temporalServer} / ${cpuPerUserMs.worker} / ${cpuPerUserMs.receiver} / ${cpuPerUserMs.bench}`,
      },
      {
        metric: 'cores busy: Temporal server / worker / receiver / bench',
        value: `${coresBusy.temporalServer} / ${coresBusy.worker} / ${coresBusy.receiver} / ${coresBusy.bench}`,
      },
      {
        // One SQLite connection serves all of the dev server's persistence: above 1, calls queued for it.
        metric: 'Temporal persistence calls per user / their summed latency ÷ wall clock',
        value: `${serverCost.persistence.perUser} / ${serverCost.persistence.busy}`,
      },
    ],
    details: {
      temporalServer: serverCost,
      cpuPerUserMs,
      coresBusy,
      oursElapsedMs: elapsedMs,
      floorElapsedMs: floor.elapsedMs,
      readyAtMs: distribution(readyAt),
      floorPerUserMs: distribution(floor.perItemMs),
      webhookAckMs: distribution(acks.map((a) => a.ms).filter(Number.isFinite)),
      webhookStatuses: statuses,
      redeliveries,
      check,
      memory: peaks,
    },
  };
}

/**
 * Each user has exactly one tenant database (pg_database, by the tenant's name), Clerk saw exactly one `ready`
 * write per user (a second run of the workflow would write again), and every user is ready on Clerk.
 */
async function checkNoDuplicates(stack: BenchStack, userIds: string[]) {
  const client = new pg.Client({ connectionString: stack.adminUrl });
  await client.connect();
  try {
    const names = userIds.map(tenantDatabaseName);
    const { rows } = await client.query<{ datname: string; n: number }>(
      'SELECT datname, count(*)::int AS n FROM pg_database WHERE datname = ANY($1) GROUP BY datname',
      [names],
    );
    const writes = userIds.map((id) => stack.tap.writesFor(id).filter((w) => w.status === 'ready').length);
    const runs = new Map<string, number>();
    const query = `TaskQueue = '${stack.env.TASK_QUEUE}' AND WorkflowType = 'provisionDatabase'`;
    for await (const run of stack.temporal.client.workflow.list({ query })) {
      runs.set(run.workflowId, (runs.get(run.workflowId) ?? 0) + 1);
    }
    const runsOf = userIds.map((id) => runs.get(provisionWorkflowId(id)) ?? 0);
    return {
      databases: rows.length,
      // pg_database names are unique, so this stays 0 by construction; runs and writes are the real evidence.
      duplicateDatabases: rows.reduce((sum, r) => sum + (r.n - 1), 0),
      missing: names.length - rows.length,
      extraRuns: runsOf.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      extraWrites: writes.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    };
  } finally {
    await client.end();
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
