import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { newId } from '../../dev/clerk-stand-in/ids.js';
import { applyMigrations, latestVersion, loadMigrations, schemaVersion } from '../../src/migrations/index.js';
import type { TenantDatabase } from '../../src/providers/types.js';
import { childPid, watchCpu } from '../cpu.js';
import { mapConcurrently } from '../pool.js';
import { rolloutTimeline } from '../profile.js';
import { ms, ratio, type ScenarioResult } from '../report.js';
import type { BenchStack } from '../stack.js';

export interface FleetParams {
  tenants: number;
  /** Tenants migrated at once, by the workflow and by the floor (default: the workflow's own default). */
  concurrency?: number;
  /** Concurrency of seeding the tenants (not measured). */
  seedConcurrency: number;
}

export const FLEET_TARGET_RATIO = 0.8;

const FLEET_WORKFLOW = fileURLToPath(new URL('../../src/workflows/fleet-migration.ts', import.meta.url));

/** A schema change of the kind a rollout carries: a column and an index on it (same cost for A and B). */
const benchMigration = (column: string) =>
  `ALTER TABLE notes ADD COLUMN ${column} text;\nCREATE INDEX notes_${column}_idx ON notes (${column});\n`;

/**
 * A schema rollout over `tenants` tenant databases: the fleet migration workflow (src/workflows/fleet-migration.ts)
 * against the floor, a direct parallel runner of applyMigrations over the same tenants at the same concurrency.
 * Each side applies one new migration of the same shape (the floor first, then the workflow the next one).
 */
export async function runFleet(stack: BenchStack, params: FleetParams): Promise<Omit<ScenarioResult, 'load'>> {
  if (!existsSync(FLEET_WORKFLOW)) {
    return {
      scenario: 'fleet',
      skipped: 'src/workflows/fleet-migration.ts is not there yet',
      parameters: { ...params },
      summary: [],
      details: {},
    };
  }
  const { FLEET_DEFAULTS, fleetMigrationWorkflowId } = await import('../../src/workflows/fleet-migration-state.js');
  const { fleetMigration } = await import('../../src/workflows/fleet-migration.js');
  const concurrency = params.concurrency ?? FLEET_DEFAULTS.concurrency;

  // Seed: tenants at the current schema (the same provider and runner as everything else; not measured).
  const base = await loadMigrations(stack.migrationsDir);
  const userIds = Array.from({ length: params.tenants }, () => newId('user'));
  stack.trackTenants(userIds);
  const seeded = performance.now();
  const tenants: TenantDatabase[] = await mapConcurrently(userIds, params.seedConcurrency, async (id) => {
    const db = await stack.provider.create(id, {});
    await applyMigrations(await stack.provider.adminConnection(db), base);
    return db;
  });
  const seedMs = performance.now() - seeded;

  // Floor: migration A, applied directly.
  const v = latestVersion(base);
  const file = (version: number, name: string) =>
    join(stack.migrationsDir, `${String(version).padStart(4, '0')}_${name}.sql`);
  await writeFile(file(v + 1, 'bench_fleet_a'), benchMigration('bench_fleet_a'));
  const processes = {
    temporalServer: await childPid('temporal'),
    postgres: { tree: await childPid('postgres') },
  };
  const floorCpu = watchCpu(processes);
  const floor = await stack.floor.migrateAll(tenants, await loadMigrations(stack.migrationsDir), concurrency);
  const floorCpuMs = await floorCpu.stop();

  // Ours: migration B through the workflow, on a worker that has read the new file.
  await writeFile(file(v + 2, 'bench_fleet_b'), benchMigration('bench_fleet_b'));
  await stack.startWorker();
  const memory = stack.watchServices();
  const cpu = watchCpu({ ...processes, worker: stack.worker.pid });
  const started = performance.now();
  const startedAt = Date.now();
  const handle = await stack.temporal.client.workflow.start(fleetMigration, {
    workflowId: fleetMigrationWorkflowId(stack.env.TASK_QUEUE!),
    taskQueue: stack.env.TASK_QUEUE!,
    args: [{ ...FLEET_DEFAULTS, targetVersion: v + 2, concurrency, updateClerk: false }],
  });
  const report = await handle.result();
  const elapsedMs = performance.now() - started;
  const resultAt = Date.now();
  const cpuMs = await cpu.stop();
  const peaks = await memory.stop();
  const timeline = await rolloutTimeline(stack.temporal.client, handle.workflowId, {
    startedAt,
    resultAt,
    concurrency,
  });

  const sample = tenants.filter((_, i) => i % Math.max(1, Math.floor(tenants.length / 20)) === 0);
  const versions = await mapConcurrently(sample, 4, async (db) =>
    schemaVersion(await stack.provider.adminConnection(db)),
  );
  const behind = versions.filter((x) => x !== v + 2).length;
  await stack.dropTenants(userIds);

  const oursRate = (params.tenants * 1000) / elapsedMs;
  const floorRate = (params.tenants * 1000) / floor.elapsedMs;
  return {
    scenario: 'fleet',
    parameters: { ...params, concurrency, workflowOptions: { ...FLEET_DEFAULTS, concurrency, updateClerk: false } },
    summary: [
      { metric: 'rollout took', value: ms(elapsedMs), floor: ms(floor.elapsedMs) },
      {
        metric: 'tenants/s',
        value: oursRate.toFixed(1),
        floor: floorRate.toFixed(1),
        target: `≥ ${FLEET_TARGET_RATIO}× floor`,
        met: oursRate >= FLEET_TARGET_RATIO * floorRate,
      },
      { metric: 'ratio to floor', value: ratio(oursRate, floorRate) },
      {
        metric: 'migrated / failed / sampled behind',
        value: `${report.migrated} / ${report.failed} / ${behind}`,
        target: `${params.tenants} / 0 / 0`,
        met: report.migrated === params.tenants && report.failed === 0 && behind === 0,
      },
      {
        metric: 'rollout: head / lanes busy / gaps / tail / end',
        value: timeline
          ? `${[timeline.head, timeline.lanesBusy, timeline.gaps, timeline.tail, timeline.end].join(' / ')} ms`
          : '—',
        floor: `lanes busy ${Math.round(floor.perItemMs.reduce((sum, x) => sum + x, 0) / concurrency)} ms`,
      },
      {
        metric: 'CPU per tenant: postgres / Temporal / worker / bench',
        value: cpuPerTenant(cpuMs, 'worker', params.tenants),
        floor: cpuPerTenant(floorCpuMs, 'bench', params.tenants),
      },
      { metric: 'peak RSS worker / receiver', value: `${peaks.worker.peakRssMb} / ${peaks.webhook.peakRssMb} MiB` },
    ],
    details: {
      oursElapsedMs: elapsedMs,
      floorElapsedMs: floor.elapsedMs,
      seedMs,
      runs: report.runs,
      timeline,
      cpuMs: { ours: cpuMs, floor: floorCpuMs },
      report: { ...report, failures: report.failures.slice(0, 5) },
      memory: peaks,
    },
  };
}

/** Each process's CPU per tenant (ms): PostgreSQL with its backends, the Temporal server, who ran the work. */
function cpuPerTenant(cpuMs: Record<string, number>, runner: 'worker' | 'bench', tenants: number): string {
  const per = (name: string) => ((cpuMs[name] ?? NaN) / tenants).toFixed(2);
  return `${per('postgres')} / ${per('temporalServer')} / ${runner === 'worker' ? `${per('worker')} / ${per('bench')}` : `— / ${per('bench')}`}`;
}
