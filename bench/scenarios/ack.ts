import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { newId } from '../../dev/clerk-stand-in/ids.js';
import { childPid, watchCpu } from '../cpu.js';
import { startProvisioning } from '../../src/client/provisioning.js';
import { distribution, ms, type Distribution, type ScenarioResult } from '../report.js';
import type { BenchStack } from '../stack.js';

export interface AckParams {
  /** Requests per second, across all connections. */
  rate: number;
  durationSeconds: number;
  connections: number;
}

export const ACK_P99_TARGET_MS = 25;
/** What the receiver may add, at p99, to a bare workflow start from the bench process. */
export const RECEIVER_P99_OVER_FLOOR_MS = 5;

type Signed = { headers: Record<string, string>; body: string };

/**
 * The floor: the receiver's one Temporal call (`startProvisioning`: `client.workflow.start` with the same
 * options) made straight from the bench process at the same rate, at most `inFlight` at once (autocannon's
 * connections), against the same server and task queue. The receiver's cost is its figure minus this one.
 */
async function startFloor(
  start: (userId: string) => Promise<unknown>,
  userIds: (i: number) => string,
  params: AckParams,
): Promise<{ latency: Distribution; requests: number; errors: number }> {
  const total = params.rate * params.durationSeconds;
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  const began = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / params.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Like an autocannon connection, a request waits for a free slot rather than exceed the connections.
    while (inFlight >= params.connections) await Promise.race(pending);
    inFlight++;
    const sent = performance.now();
    const call: Promise<void> = start(userIds(i)).then(
      () => void latencies.push(performance.now() - sent),
      () => void errors++,
    );
    const tracked = call.finally(() => {
      inFlight--;
      pending.splice(pending.indexOf(tracked), 1);
    });
    pending.push(tracked);
  }
  await Promise.all(pending);
  return { latency: distribution(latencies), requests: total, errors };
}

/**
 * Webhook acknowledgement latency under a steady request rate, with validly signed requests prepared
 * beforehand. Two runs: every request a different user (each starts a workflow), and every request the same
 * user (each attaches to the run already open). The receiver gets a task queue no worker polls, so the
 * machine's two cores measure the receiver and Temporal only (this box cannot provision 200 users/s).
 */
export async function runAck(stack: BenchStack, params: AckParams): Promise<Omit<ScenarioResult, 'load'>> {
  const ackQueue = `bench-ack-${randomBytes(4).toString('hex')}`;
  const receiver = await stack.restartReceiver({ TASK_QUEUE: ackQueue });
  const [template] = await stack.newUsers(1);
  const count = Math.ceil(params.rate * params.durationSeconds * 1.2) + 50;
  const sign = (userId: string): Signed => {
    const body = stack.createdEvent({ id: userId, json: template!.json });
    return { headers: stack.signedHeaders(body), body };
  };
  const fire = async (requests: Signed[]) => {
    let next = 0;
    return autocannon({
      url: receiver.url,
      method: 'POST',
      connections: params.connections,
      overallRate: params.rate,
      duration: params.durationSeconds,
      timeout: 10,
      requests: [{ setupRequest: (request) => ({ ...request, ...requests[next++ % requests.length]! }) }],
    });
  };

  // Warm-up (the receiver's Temporal connection opens on first use): not counted.
  await fire(Array.from({ length: params.rate }, () => sign(newId('user'))));
  const memory = stack.watchServices();
  // CPU per request (ms of CPU time, not wall clock): what each process pays whatever the machine's load.
  const server = await childPid('temporal');
  const measured = async <T extends { requests: { total: number } } | { requests: number }>(run: () => Promise<T>) => {
    const cpu = watchCpu({ receiver: receiver.process.pid, server });
    const result = await run();
    const used = await cpu.stop();
    const requests = typeof result.requests === 'number' ? result.requests : result.requests.total;
    const perRequest = Object.fromEntries(
      Object.entries(used).map(([k, v]) => [k, Math.round((v / requests) * 100) / 100]),
    );
    return { result, cpuMsPerRequest: perRequest };
  };
  const distinct = await measured(() => fire(Array.from({ length: count }, () => sign(newId('user')))));
  const sameUserId = newId('user');
  const same = await measured(() => fire(Array.from({ length: count }, () => sign(sameUserId))));
  const peaks = await memory.stop();
  await stack.restartReceiver();

  const start = (userId: string) => startProvisioning(stack.temporal.client, ackQueue, { userId });
  const floorSameUser = newId('user');
  const floorDistinct = await measured(() => startFloor(start, () => newId('user'), params));
  const floorSame = await measured(() => startFloor(start, () => floorSameUser, params));

  type Fired = typeof distinct;
  type Floor = typeof floorDistinct;
  const failed = (r: Fired['result']) => r.non2xx + r.errors + r.timeouts;
  const row = (label: string, { result: r, cpuMsPerRequest: cpu }: Fired, floor: Floor) => [
    {
      metric: `${label}: ack p50 / p99`,
      value: `${ms(r.latency.p50)} / ${ms(r.latency.p99)}`,
      floor: `${ms(floor.result.latency.p50)} / ${ms(floor.result.latency.p99)}`,
      target: `p99 ≤ ${ACK_P99_TARGET_MS} ms, 0 errors`,
      met: r.latency.p99 <= ACK_P99_TARGET_MS && failed(r) === 0,
    },
    {
      metric: `${label}: receiver − floor p50 / p99`,
      value: `${ms(r.latency.p50 - floor.result.latency.p50)} / ${ms(r.latency.p99 - floor.result.latency.p99)}`,
      target: `p99 ≤ ${RECEIVER_P99_OVER_FLOOR_MS} ms`,
      met: r.latency.p99 - floor.result.latency.p99 <= RECEIVER_P99_OVER_FLOOR_MS && failed(r) === 0,
    },
    {
      metric: `${label}: requests / non-2xx / errors`,
      value: `${r.requests.total} / ${r.non2xx} / ${r.errors + r.timeouts}`,
      floor: `${floor.result.requests} / — / ${floor.result.errors}`,
    },
    {
      // The floor's client is the bench process itself; ours is the receiver (autocannon runs in the bench).
      metric: `${label}: CPU ms per request, client / Temporal server`,
      value: `${cpu.receiver} / ${cpu.server}`,
      floor: `${floor.cpuMsPerRequest.bench} / ${floor.cpuMsPerRequest.server}`,
    },
  ];
  const summaryOf = ({ result: r, cpuMsPerRequest }: Fired) => ({
    latencyMs: r.latency,
    requests: r.requests.total,
    achievedRate: Math.round((r.requests.total / r.duration) * 10) / 10,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    cpuMsPerRequest,
  });
  return {
    scenario: 'ack',
    parameters: { ...params, taskQueue: 'one no worker polls', signing: 'svix Webhook.sign, pre-signed' },
    summary: [
      ...row('distinct users (start)', distinct, floorDistinct),
      ...row('same user (attach)', same, floorSame),
      { metric: 'peak RSS worker / receiver', value: `${peaks.worker.peakRssMb} / ${peaks.webhook.peakRssMb} MiB` },
    ],
    details: {
      distinctUsers: summaryOf(distinct),
      sameUser: summaryOf(same),
      floor: { distinctUsers: floorDistinct, sameUser: floorSame, method: 'startProvisioning from the bench process' },
      memory: peaks,
    },
  };
}
