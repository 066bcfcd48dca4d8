import { performance } from 'node:perf_hooks';
import { provisionWorkflowId } from '../../src/workflows/provision-state.js';
import type { FloorSteps } from '../floor.js';
import { historyBreakdown, medianBreakdown } from '../profile.js';
import { distribution, ms, type ScenarioResult } from '../report.js';
import type { BenchStack } from '../stack.js';

export interface LatencyParams {
  users: number;
  /** Users provisioned first and not counted (the receiver's lazy Temporal connection, caches). */
  warmup: number;
}

export const OVERHEAD_TARGET_MS = 50;

/**
 * Sign-up to ready, one user at a time: from the webhook POST until Clerk accepted `publicMetadata.database`
 * with status `ready` (seen by the tap, no polling). Each pipeline user is paired with a floor user provisioned
 * just before it, so both sides of a pair see the same machine load.
 */
export async function runLatency(stack: BenchStack, params: LatencyParams): Promise<Omit<ScenarioResult, 'load'>> {
  const users = await stack.newUsers(params.warmup * 2 + params.users * 2);
  const ours: number[] = [];
  const acks: number[] = [];
  const floor: number[] = [];
  const floorSteps: FloorSteps[] = [];
  const failures: string[] = [];

  const viaPipeline = async (user: (typeof users)[number]) => {
    const started = performance.now();
    const ready = stack.tap.waitForStatus(user.id, 'ready');
    const ack = await stack.post(stack.createdEvent(user));
    if (ack.status !== 202) failures.push(`${user.id}: webhook answered ${ack.status}`);
    return { ack: ack.ms, total: (await ready).at - started };
  };
  const viaFloor = async (userId: string) => {
    const started = performance.now();
    const steps = await stack.floor.provision(userId);
    return { total: performance.now() - started, steps };
  };

  for (let i = 0; i < params.warmup; i++) {
    await viaFloor(users[2 * i]!.id);
    await viaPipeline(users[2 * i + 1]!);
  }
  const measured = users.slice(params.warmup * 2);
  const pipelineUsers: string[] = [];
  for (let i = 0; i < params.users; i++) {
    const f = await viaFloor(measured[2 * i]!.id);
    floor.push(f.total);
    floorSteps.push(f.steps);
    const user = measured[2 * i + 1]!;
    const p = await viaPipeline(user);
    ours.push(p.total);
    acks.push(p.ack);
    pipelineUsers.push(user.id);
  }

  const breakdowns = await Promise.all(
    pipelineUsers.map((id) => historyBreakdown(stack.temporal.client, provisionWorkflowId(id))),
  );
  await stack.dropTenants(users.map((u) => u.id));

  const o = distribution(ours);
  const f = distribution(floor);
  const paired = distribution(ours.map((v, i) => v - floor[i]!));
  return {
    scenario: 'latency',
    parameters: { ...params, order: 'floor user, then pipeline user, alternating', clock: 'POST → Clerk 200 (tap)' },
    summary: [
      { metric: 'sign-up → ready p50', value: ms(o.p50), floor: ms(f.p50) },
      { metric: 'sign-up → ready p95', value: ms(o.p95), floor: ms(f.p95) },
      { metric: 'sign-up → ready p99', value: ms(o.p99), floor: ms(f.p99) },
      {
        metric: 'overhead p50 (paired)',
        value: ms(paired.p50),
        target: `≤ ${OVERHEAD_TARGET_MS} ms`,
        met: paired.p50 <= OVERHEAD_TARGET_MS,
      },
      { metric: 'overhead p95 (paired)', value: ms(paired.p95) },
      { metric: 'webhook ack p50 / p99', value: `${ms(distribution(acks).p50)} / ${ms(distribution(acks).p99)}` },
      { metric: 'failures', value: String(failures.length) },
    ],
    details: {
      oursMs: o,
      floorMs: f,
      pairedOverheadMs: paired,
      overheadOfMediansMs: Math.round((o.p50 - f.p50) * 10) / 10,
      webhookAckMs: distribution(acks),
      floorStepsMedianMs: medianBreakdown(floorSteps.map((s) => ({ ...s }))),
      temporalHistoryMedianMs: medianBreakdown(breakdowns),
      failures,
    },
  };
}
