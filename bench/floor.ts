import { performance } from 'node:perf_hooks';
import { recordDatabaseMetadata, type ClerkClient } from '../src/clerk/client.js';
import { applyMigrations, type Migration } from '../src/migrations/index.js';
import type { DatabaseProvider, TenantDatabase } from '../src/providers/types.js';
import { mapConcurrently } from './pool.js';

export interface FloorDeps {
  /** Built exactly as the worker builds it (createProvider(config)), so pool sizes and SQL are the same. */
  provider: DatabaseProvider;
  migrations: Migration[];
  /** The Clerk adapter, pointed at the same stand-in (through the same tap) as the worker. */
  clerk: ClerkClient;
}

/** Named like the activities that do the same work in the pipeline. */
export interface FloorSteps {
  createDatabase: number;
  applyMigrations: number;
  recordOnClerk: number;
}

export interface FloorRun {
  elapsedMs: number;
  /** Each item's own duration, in input order. */
  perItemMs: number[];
}

/**
 * The raw floor: the same database work the pipeline does — create role and database, apply the tenant
 * migrations as the tenant, PATCH `publicMetadata.database` on Clerk — through the same adapter modules, called
 * directly from this process with no webhook, no Temporal and no retries.
 */
export function createFloor({ provider, migrations, clerk }: FloorDeps) {
  /** Provisions one user; answers how long each of the three steps took (ms). */
  async function provision(userId: string): Promise<FloorSteps> {
    const t0 = performance.now();
    const [region] = await provider.regions();
    const db = await provider.create(userId, { region });
    const t1 = performance.now();
    const { toVersion } = await applyMigrations(await provider.adminConnection(db), migrations);
    const t2 = performance.now();
    await recordDatabaseMetadata(clerk, userId, {
      status: 'ready',
      ...db,
      schemaVersion: toVersion,
      provisionedAt: new Date().toISOString(),
    });
    return { createDatabase: t1 - t0, applyMigrations: t2 - t1, recordOnClerk: performance.now() - t2 };
  }

  async function timed<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>) {
    const started = performance.now();
    const perItemMs = await mapConcurrently(items, concurrency, async (item) => {
      const t0 = performance.now();
      await work(item);
      return performance.now() - t0;
    });
    return { elapsedMs: performance.now() - started, perItemMs } satisfies FloorRun;
  }

  return {
    provision,
    /** Provisions every user, `concurrency` at once. */
    provisionAll: (userIds: readonly string[], concurrency: number) => timed(userIds, concurrency, provision),
    /** Brings every tenant up to the newest of `target` migrations, `concurrency` at once (the fleet floor). */
    migrateAll: (tenants: readonly TenantDatabase[], target: Migration[], concurrency: number) =>
      timed(tenants, concurrency, async (db) => applyMigrations(await provider.adminConnection(db), target)),
  };
}

export type Floor = ReturnType<typeof createFloor>;
