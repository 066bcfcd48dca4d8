import { randomBytes } from 'node:crypto';
import { newId } from '../../dev/clerk-stand-in/ids.js';
import { childPid, watchCpu } from '../cpu.js';
import { httpPoster, paced, pooled, type PaceParams, type Paced, type Prepared } from '../paced.js';
import { startProvisioning } from '../../src/client/provisioning.js';
import { ms, type ScenarioResult } from '../report.js';
import type { BenchStack } from '../stack.js';

export interface AckParams extends PaceParams {
  /**
   * The distinct-users path again at this rate: a start costs the Temporal server more CPU than an attach, and
   * on a small machine the floor itself falls short of `rate`; below that bound the receiver's added latency
   * is its own, not the machine's queue.
   */
  sustainedRate: number;
}

export const ACK_P99_TARGET_MS = 25;
/** What the receiver may add, at p99, to a bare workflow start from the bench process. */
export const RECEIVER_P99_OVER_FLOOR_MS = 5;

/** Each side runs twice, in the order ours, floor, floor, ours: a load that drifts during the run weighs on both. */
const ORDER = ['ours', 'floor', 'floor', 'ours'] as const;
type Side = (typeof ORDER)[number];

/**
 * Webhook acknowledgement latency at a steady request rate, with validly signed requests prepared beforehand,
 * against its floor: the receiver's one Temporal call (`startProvisioning`, i.e. `client.workflow.start` with
 * the same options) made straight from the bench process, through the same pacing (`paced`: the same
 * arrivals, the same bound on requests in flight), against the same server and task queue, alternated with
 * ours. Two paths: every request a different user (each starts a workflow), and every request the same user
 * (each attaches to the run already open). The task queue is one no worker polls, so the machine's two cores
 * measure the receiver and Temporal only (this box cannot provision 200 users/s).
 */
export async function runAck(stack: BenchStack, params: AckParams): Promise<Omit<ScenarioResult, 'load'>> {
  const ackQueue = `bench-ack-${randomBytes(4).toString('hex')}`;
  const receiver = await stack.restartReceiver({ TASK_QUEUE: ackQueue });
  const [template] = await stack.newUsers(1);
  const sign = (userId: string): Prepared => {
    const body = stack.createdEvent({ id: userId, json: template!.json });
    return { headers: stack.signedHeaders(body), body };
  };
  const http = httpPoster(receiver.url, params.connections, 10_000);
  const start = (userId: string) => startProvisioning(stack.temporal.client, ackQueue, { userId }).then(() => true);
  const segment = { ...params, durationSeconds: params.durationSeconds / 2 };
  const server = await childPid('temporal');

  /** One segment of one side, every request for `userIdOf(i)`, with the CPU each process spent on it. */
  const run = async (side: Side, userIdOf: (i: number) => string, pace: PaceParams) => {
    // Signed before the clock starts: Svix's tolerance is minutes, and signing is the sender's work, not ours.
    const count = Math.round(pace.rate * pace.durationSeconds);
    const prepared = side === 'ours' ? Array.from({ length: count }, (_, i) => sign(userIdOf(i))) : [];
    const cpu = watchCpu({ receiver: receiver.process.pid, server });
    const result = await paced(pace, (i) => (side === 'ours' ? http.post(prepared[i]!) : start(userIdOf(i))));
    return { result, cpu: await cpu.stop() };
  };
  // Warm-up (the receiver's Temporal connection opens on first use; the server's first starts): not counted.
  const warmUp = { ...params, durationSeconds: 1 };
  for (const side of ['ours', 'floor'] as const) await run(side, () => newId('user'), warmUp);

  const memory = stack.watchServices();
  const measure = async (userIdFor: (side: Side) => (i: number) => string, pace: PaceParams = segment) => {
    const runs: Record<Side, Array<Awaited<ReturnType<typeof run>>>> = { ours: [], floor: [] };
    for (const side of ORDER) runs[side].push(await run(side, userIdFor(side), pace));
    const sideOf = (side: Side) => {
      const requests = runs[side].reduce((n, r) => n + r.result.requests, 0);
      const cpuMs = (name: string) =>
        Math.round((runs[side].reduce((n, r) => n + (r.cpu[name] ?? NaN), 0) / requests) * 100) / 100;
      return {
        ...pooled(runs[side].map((r): Paced => r.result)),
        cpuMsPerRequest: { receiver: cpuMs('receiver'), server: cpuMs('server'), bench: cpuMs('bench') },
      };
    };
    return { ours: sideOf('ours'), floor: sideOf('floor') };
  };
  const distinct = await measure(() => () => newId('user'));
  const distinctSustained = await measure(() => () => newId('user'), { ...segment, rate: params.sustainedRate });
  const sameUser = { ours: newId('user'), floor: newId('user') };
  const same = await measure((side) => () => sameUser[side]);
  const peaks = await memory.stop();
  http.close();
  await stack.restartReceiver();

  type Measured = typeof distinct;
  const failed = (s: Measured['ours']) => s.refused + s.errors;
  const row = (label: string, { ours, floor }: Measured) => [
    {
      metric: `${label}: ack p50 / p99`,
      value: `${ms(ours.latency.p50)} / ${ms(ours.latency.p99)}`,
      floor: `${ms(floor.latency.p50)} / ${ms(floor.latency.p99)}`,
      target: `p99 ≤ ${ACK_P99_TARGET_MS} ms, 0 errors`,
      met: ours.latency.p99 <= ACK_P99_TARGET_MS && failed(ours) === 0,
    },
    {
      metric: `${label}: receiver − floor p50 / p99`,
      value: `${ms(ours.latency.p50 - floor.latency.p50)} / ${ms(ours.latency.p99 - floor.latency.p99)}`,
      target: `p99 ≤ ${RECEIVER_P99_OVER_FLOOR_MS} ms`,
      met: ours.latency.p99 - floor.latency.p99 <= RECEIVER_P99_OVER_FLOOR_MS && failed(ours) === 0,
    },
    {
      metric: `${label}: requests / non-2xx / errors, sent at req/s`,
      value: `${ours.requests} / ${ours.refused} / ${ours.errors}, ${ours.achievedRate}`,
      floor: `${floor.requests} / — / ${floor.errors}, ${floor.achievedRate}`,
    },
    {
      // The floor's client is the bench process itself; ours is the receiver (the bench only posts).
      metric: `${label}: CPU ms per request, client / Temporal server`,
      value: `${ours.cpuMsPerRequest.receiver} / ${ours.cpuMsPerRequest.server}`,
      floor: `${floor.cpuMsPerRequest.bench} / ${floor.cpuMsPerRequest.server}`,
    },
  ];
  return {
    scenario: 'ack',
    parameters: {
      ...params,
      taskQueue: 'one no worker polls',
      signing: 'svix Webhook.sign, pre-signed',
      pacing: `evenly spaced, both sides; ${ORDER.join(', ')}, ${segment.durationSeconds} s each`,
    },
    summary: [
      ...row('distinct users (start)', distinct),
      ...row(`distinct users (start) at ${params.sustainedRate} req/s`, distinctSustained),
      ...row('same user (attach)', same),
      { metric: 'peak RSS worker / receiver', value: `${peaks.worker.peakRssMb} / ${peaks.webhook.peakRssMb} MiB` },
    ],
    details: {
      distinctUsers: distinct,
      distinctUsersSustained: distinctSustained,
      sameUser: same,
      floorMethod: 'startProvisioning from the bench process',
      memory: peaks,
    },
  };
}
