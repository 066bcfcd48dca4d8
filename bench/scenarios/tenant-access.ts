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
  // The floor's database is a tenant of its own: sharing one of the routed tenants' roles, its pool and the
  // router's would crowd each other out of the role's CONNECTION LIMIT (TENANT_CONNECTION_LIMIT).
  const floorUserId = newId('user');
  stack.trackTenants([...userIds, floorUserId]);
  const seed = async (id: string) => {
    const db = await stack.provider.create(id, {});
    await applyMigrations(await stack.provider.adminConnection(db), migrations);
    return db;
  };
  const seeded = performance.now();
  const tenants: TenantDatabase[] = await mapConcurrently(userIds, params.seedConcurrency, seed);
  const seedMs = performance.now() - seeded;
  const floorTenant = await seed(floorUserId);
  await unlimitConnections(stack.adminUrl, floorTenant.name);
  const metadata = (i: number) => ({
    status: 'ready',
    ...tenants[i]!,
    schemaVersion: latestVersion(migrations),
    provisionedAt: new Date().toISOString(),
  });

  const url = new URL(stack.adminUrl);
  const server = { host: url.hostname, port: Number(url.port) };
  const passwordSecret = stack.env.TENANT_PASSWORD_SECRET!;

  // Floor: one plain pool to one database, as an app with a single database has it (no per-role limit).
  const floorPool = new pg.Pool({
    ...server,
    user: floorTenant.name,
    database: floorTenant.name,
    password: tenantPassword(passwordSecret, floorUserId),
    max: params.maxConnections,
    application_name: FLOOR_APPLICATION,
  });
  // A second floor: the same working set through hand-made pools, one per tenant, same per-tenant size: what
  // the router adds beyond reaching many databases at all.
  const perTenantPools = Array.from({ length: params.warmTenants }, (_, i) => {
    return new pg.Pool({
      ...server,
      user: tenants[i]!.name,
      database: tenants[i]!.name,
      password: tenantPassword(passwordSecret, userIds[i]!),
      max: 5,
      application_name: FLOOR_APPLICATION,
    });
  });
  const router = createTenantRouter({
    postgres: { passwordSecret, regions: { [tenants[0]!.region]: server } },
    migrations,
    maxConnections: params.maxConnections,
    acquireTimeoutMs: 60_000,
    maxPools: params.tenants,
  });
  const sessions = sampleSessions(stack.adminUrl, router);
  try {
    const floorRequest = async () => {
      await floorPool.query(QUERY);
    };
    const perTenantRequest = () => {
      let n = 0;
      return async () => {
        await perTenantPools[n++ % params.warmTenants]!.query(QUERY);
      };
    };
    /** One app request: find the user's database (timed on its own: the routing step), then query it. */
    const routed = (tenantOf: (n: number) => number) => {
      let n = 0;
      return async () => {
        const i = tenantOf(n++);
        const t = performance.now();
        const handle = await router.forUser(userIds[i]!, metadata(i));
        const routingMs = performance.now() - t;
        await handle.query(QUERY);
        return routingMs;
      };
    };
    const warmSet = (n: number) => n % params.warmTenants;
    // First access of each working-set tenant (schema check, connections) and the floor's connections: not measured.
    await runRequests(params.warmTenants * 10, params.concurrency, routed(warmSet));
    await runRequests(params.concurrency * 10, params.concurrency, floorRequest);
    await runRequests(params.warmTenants * 10, params.concurrency, perTenantRequest());

    // The floor and the warm router alternate in rounds, so a change of load on the shared machine hits both.
    const floor = new Samples();
    const warm = new Samples();
    const perTenant = new Samples();
    const warmEvictions = router.stats().evictions;
    for (let round = 0; round < ROUNDS; round++) {
      floor.add(await runRequests(params.requests / ROUNDS, params.concurrency, floorRequest));
      warm.add(await runRequests(params.requests / ROUNDS, params.concurrency, routed(warmSet)));
      perTenant.add(await runRequests(params.requests / ROUNDS, params.concurrency, perTenantRequest()));
    }
    const warmEvicted = router.stats().evictions - warmEvictions;
    await floorPool.end();
    await Promise.all(perTenantPools.map((p) => p.end()));

    // Spread: every request to a random tenant of all of them.
    const spread = new Samples();
    spread.add(
      await runRequests(
        params.requests,
        params.concurrency,
        routed(() => randomIndex(params.tenants)),
      ),
    );
    const peak = await sessions.stop();
    const { evictions } = router.stats();
    await router.close();
    await stack.dropTenants([...userIds, floorUserId]);

    const [f, w, sp, pt] = [floor.summary(), warm.summary(), spread.summary(), perTenant.summary()];
    const overhead = w.latency.p50 - pt.latency.p50;
    const failed = w.failed + sp.failed;
    // A failing floor makes the comparison meaningless: its failures count too (their kinds are in details).
    const floorFailed = f.failed + pt.failed;
    return {
      scenario: 'tenant-access',
      parameters: { ...params, rounds: ROUNDS, query: QUERY, location: 'session metadata (no Clerk call)' },
      summary: [
        {
          metric: `warm (${params.warmTenants} tenants): p50 / p99 per request`,
          value: `${ms(w.latency.p50)} / ${ms(w.latency.p99)}`,
          floor: `${ms(f.latency.p50)} / ${ms(f.latency.p99)}`,
        },
        {
          metric: `warm: plain pg pools, one per tenant (${params.warmTenants}): p50 / p99`,
          value: `${ms(pt.latency.p50)} / ${ms(pt.latency.p99)}`,
        },
        {
          metric: 'warm: overhead p50 over plain per-tenant pools',
          value: ms(overhead),
          target: `≤ ${TENANT_ACCESS_TARGET_MS} ms`,
          met: overhead <= TENANT_ACCESS_TARGET_MS,
        },
        {
          metric: 'warm: routing step (forUser) p50 / p99',
          value: w.routing ? `${ms(w.routing.p50)} / ${ms(w.routing.p99)}` : 'n/a',
        },
        {
          metric: `spread over ${params.tenants} tenants: p50 / p99`,
          value: `${ms(sp.latency.p50)} / ${ms(sp.latency.p99)}`,
        },
        { metric: 'requests/s warm / spread', value: `${w.rate} / ${sp.rate}`, floor: `${f.rate}` },
        {
          metric: 'peak tenant sessions (pg_stat_activity) / router count',
          value: `${peak.server} / ${peak.counted}`,
          target: `≤ ${params.maxConnections}`,
          met: peak.server <= params.maxConnections && peak.counted <= params.maxConnections,
        },
        { metric: 'evictions warm / total', value: `${warmEvicted} / ${evictions}` },
        {
          metric: 'failed requests router / floors',
          value: `${failed} / ${floorFailed}`,
          target: '0 / 0',
          met: failed === 0 && floorFailed === 0,
        },
      ],
      details: {
        seedMs,
        floor: f,
        perTenantPools: pt,
        warm: w,
        spread: sp,
        peakSessions: peak,
        evictions,
        warmEvictions: warmEvicted,
      },
    };
  } catch (error) {
    await sessions.stop();
    await router.close();
    await floorPool.end().catch(() => undefined);
    await Promise.all(perTenantPools.map((p) => p.end().catch(() => undefined)));
    throw error;
  }
}

const ROUNDS = 10;

/** Lifts a tenant role's CONNECTION LIMIT, as the admin. */
async function unlimitConnections(adminUrl: string, role: string): Promise<void> {
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  try {
    await admin.query(`ALTER ROLE ${pg.escapeIdentifier(role)} CONNECTION LIMIT -1`);
  } finally {
    await admin.end();
  }
}
/** The floors' sessions are told apart from the router's by this, so the cap check counts the router's only. */
const FLOOR_APPLICATION = 'per-user-db-bench-floor';

const randomIndex = (n: number) => Math.floor(Math.random() * n);

interface Run {
  latencies: number[];
  routing: number[];
  failed: number;
  /** Failed requests by kind (error name, PostgreSQL code, message), so a failure count can be explained. */
  errors: Map<string, number>;
  elapsedMs: number;
}

/** Runs `count` requests, `concurrency` at a time; a request may answer how long its routing step took. */
async function runRequests(count: number, concurrency: number, request: () => Promise<number | void>): Promise<Run> {
  const run: Run = { latencies: [], routing: [], failed: 0, errors: new Map(), elapsedMs: 0 };
  const started = performance.now();
  await mapConcurrently(Array.from({ length: Math.ceil(count) }), concurrency, async () => {
    const t = performance.now();
    try {
      const routingMs = await request();
      run.latencies.push(performance.now() - t);
      if (routingMs !== undefined) run.routing.push(routingMs);
    } catch (error) {
      run.failed++;
      const kind = errorKind(error);
      run.errors.set(kind, (run.errors.get(kind) ?? 0) + 1);
    }
  });
  run.elapsedMs = performance.now() - started;
  return run;
}

function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
}

/** Runs pooled across rounds. */
class Samples {
  readonly #runs: Run[] = [];
  add(run: Run): void {
    this.#runs.push(run);
  }
  summary() {
    const all = (pick: (r: Run) => number[]) => this.#runs.flatMap(pick);
    const count = all((r) => r.latencies).length;
    const elapsedMs = this.#runs.reduce((s, r) => s + r.elapsedMs, 0);
    const routing = all((r) => r.routing);
    const errors: Record<string, number> = {};
    for (const [kind, n] of this.#runs.flatMap((r) => [...r.errors])) errors[kind] = (errors[kind] ?? 0) + n;
    return {
      latency: distribution(all((r) => r.latencies)),
      routing: routing.length > 0 ? distribution(routing) : undefined,
      failed: this.#runs.reduce((s, r) => s + r.failed, 0),
      errors,
      rate: Math.round((count * 1000) / elapsedMs),
    };
  }
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
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE starts_with(usename, 'tenant_') AND application_name <> $1",
        [FLOOR_APPLICATION],
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
