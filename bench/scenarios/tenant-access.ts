import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { newId } from '../../dev/clerk-stand-in/ids.js';
import { applyMigrations, latestVersion, loadMigrations } from '../../src/migrations/index.js';
import { tenantPassword } from '../../src/providers/tenant-credentials.js';
import type { TenantDatabase } from '../../src/providers/types.js';
import { createTenantRouter, type TenantRouter } from '../../src/tenant-router/index.js';
import { mapConcurrently } from '../pool.js';
import { distribution, ms, type ScenarioResult } from '../report.js';
import type { BenchStack } from '../stack.js';

export interface TenantAccessParams {
  tenants: number;
  /** Requests per phase. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The router's global connection cap. */
  maxConnections: number;
  /** Tenants the warm phase spreads over: few enough that all their pools stay open under the cap. */
  warmTenants: number;
  /** Concurrency of seeding the tenants (not measured). */
  seedConcurrency: number;
}

export const TENANT_ACCESS_TARGET_MS = 1;

/** What an app request does once it has its database: a small indexed read of its own data. */
const QUERY = 'SELECT id, title FROM notes ORDER BY created_at DESC LIMIT 10';

/**
 * Requests spread over `tenants` tenant databases through the tenant router (session metadata passed in, as an
 * app reading its session claims does), under a global cap of `maxConnections`: a warm phase over a working set
 * whose pools all stay open, and a spread phase over every tenant (pools evicted and reopened). The floor is a
 * plain pg pool of the same size to one tenant database, running the same query at the same concurrency.
 * pg_stat_activity is sampled throughout: tenant sessions must never exceed the cap.
 */
export async function runTenantAccess(
  stack: BenchStack,
  params: TenantAccessParams,
): Promise<Omit<ScenarioResult, 'load'>> {
  const migrations = await loadMigrations(stack.migrationsDir);
  const userIds = Array.from({ length: params.tenants }, () => newId('user'));
  stack.trackTenants(userIds);
  const seeded = performance.now();
  const tenants: TenantDatabase[] = await mapConcurrently(userIds, params.seedConcurrency, async (id) => {
    const db = await stack.provider.create(id, {});
    await applyMigrations(await stack.provider.adminConnection(db), migrations);
    return db;
  });
  const seedMs = performance.now() - seeded;
  const metadata = (i: number) => ({
    status: 'ready',
    ...tenants[i]!,
    schemaVersion: latestVersion(migrations),
    provisionedAt: new Date().toISOString(),
  });

  const url = new URL(stack.adminUrl);
  const server = { host: url.hostname, port: Number(url.port) };
  const passwordSecret = stack.env.TENANT_PASSWORD_SECRET!;

  // Floor: one plain pool to one tenant database, warmed up.
  const floorPool = new pg.Pool({
    ...server,
    user: tenants[0]!.name,
    database: tenants[0]!.name,
    password: tenantPassword(passwordSecret, userIds[0]!),
    max: params.maxConnections,
  });
  await runRequests(Math.ceil(params.requests / 10), params.concurrency, () => floorPool.query(QUERY));
  const floor = await runRequests(params.requests, params.concurrency, () => floorPool.query(QUERY));
  await floorPool.end();

  const router = createTenantRouter({
    postgres: { passwordSecret, regions: { [tenants[0]!.region]: server } },
    migrations,
    maxConnections: params.maxConnections,
    acquireTimeoutMs: 60_000,
    maxPools: params.tenants,
  });
  const sessions = sampleSessions(stack.adminUrl, router);
  try {
    const request = (tenantOf: (n: number) => number) => {
      let n = 0;
      return async () => {
        const i = tenantOf(n++);
        const handle = await router.forUser(userIds[i]!, metadata(i));
        await handle.query(QUERY);
      };
    };
    // Warm: first access of each working-set tenant (schema check, connections) is not measured.
    const warmSet = (n: number) => n % params.warmTenants;
    await runRequests(params.warmTenants * 10, params.concurrency, request(warmSet));
    const warmEvictions = router.stats().evictions;
    const warm = await runRequests(params.requests, params.concurrency, request(warmSet));
    const warmEvicted = router.stats().evictions - warmEvictions;

    // Spread: every request to a random tenant of all of them.
    const spread = await runRequests(
      params.requests,
      params.concurrency,
      request(() => randomIndex(params.tenants)),
    );
    const peak = await sessions.stop();
    const { evictions } = router.stats();
    await router.close();
    await stack.dropTenants(userIds);

    const overhead = warm.latency.p50 - floor.latency.p50;
    return {
      scenario: 'tenant-access',
      parameters: { ...params, query: QUERY, location: 'session metadata (no Clerk call)' },
      summary: [
        {
          metric: 'warm: p50 / p99 per request',
          value: `${ms(warm.latency.p50)} / ${ms(warm.latency.p99)}`,
          floor: `${ms(floor.latency.p50)} / ${ms(floor.latency.p99)}`,
        },
        {
          metric: 'warm: routing overhead p50',
          value: ms(overhead),
          target: `≤ ${TENANT_ACCESS_TARGET_MS} ms`,
          met: overhead <= TENANT_ACCESS_TARGET_MS,
        },
        {
          metric: `spread over ${params.tenants} tenants: p50 / p99`,
          value: `${ms(spread.latency.p50)} / ${ms(spread.latency.p99)}`,
        },
        { metric: 'requests/s warm / spread', value: `${warm.rate} / ${spread.rate}`, floor: `${floor.rate}` },
        {
          metric: 'peak tenant sessions (pg_stat_activity) / router count',
          value: `${peak.server} / ${peak.counted}`,
          target: `≤ ${params.maxConnections}`,
          met: peak.server <= params.maxConnections && peak.counted <= params.maxConnections,
        },
        { metric: 'evictions warm / total', value: `${warmEvicted} / ${evictions}` },
        {
          metric: 'failed requests',
          value: String(warm.failed + spread.failed),
          target: '0',
          met: warm.failed + spread.failed === 0,
        },
      ],
      details: { seedMs, floor, warm, spread, peakSessions: peak, evictions, warmEvictions: warmEvicted },
    };
  } catch (error) {
    await sessions.stop();
    await router.close();
    throw error;
  }
}

const randomIndex = (n: number) => Math.floor(Math.random() * n);

/** Runs `count` requests, `concurrency` at a time: each one's latency, the rate and the failures. */
async function runRequests(count: number, concurrency: number, request: () => Promise<unknown>) {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  await mapConcurrently(Array.from({ length: count }), concurrency, async () => {
    const t = performance.now();
    try {
      await request();
      latencies.push(performance.now() - t);
    } catch {
      failed++;
    }
  });
  const elapsedMs = performance.now() - started;
  return { latency: distribution(latencies), failed, rate: Math.round((count * 1000) / elapsedMs) };
}

/** Samples, every 50 ms, tenant sessions as PostgreSQL counts them and the router's own count; answers the peaks. */
function sampleSessions(adminUrl: string, router: TenantRouter) {
  const client = new pg.Client(adminUrl);
  const peak = { server: 0, counted: 0, samples: 0 };
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE starts_with(usename, 'tenant_')",
      );
      peak.server = Math.max(peak.server, rows[0]?.n ?? 0);
      peak.counted = Math.max(peak.counted, router.stats().connections);
      peak.samples++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}
