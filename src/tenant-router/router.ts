import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { z } from 'zod';
import { loadMigrations, type Migration } from '../migrations/index.js';
import { tenantDatabaseName } from '../providers/tenant-names.js';
import type { TenantDatabase } from '../providers/types.js';
import { ConnectionGate } from './connection-gate.js';
import { createConnectionSource, type TenantBackends, type TenantConnection } from './connections.js';
import { TenantNotReadyError, TenantRouterConfigError } from './errors.js';
import { gatedClientClass } from './gated-client.js';
import { createTenantLocator } from './locate.js';
import { createSchemaGate } from './schema-gate.js';
import { TenantPool } from './tenant-pool.js';

export interface TenantRouterOptions extends TenantBackends {
  /** Reads `publicMetadata.database` from Clerk when the app does not pass the session's copy. */
  clerk?: { secretKey: string; apiUrl?: string };
  /** Connections open at once across every tenant (default 100). */
  maxConnections?: number;
  /** Connections open at once to one tenant (default 5). */
  maxConnectionsPerTenant?: number;
  /** An idle connection is closed, and an unused tenant pool evicted, after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Tenant pools kept at most (default 1,000); the least recently used is evicted first. */
  maxPools?: number;
  /** How long a request waits for a connection when all are busy before TenantPoolExhaustedError (default 5 s). */
  acquireTimeoutMs?: number;
  /** How long a user's location read from Clerk is remembered (default 10 s). */
  locationTtlMs?: number;
  /** The tenant migrations; default: the `migrations/` folder shipped with per-user-db. */
  migrations?: readonly Migration[];
  /** The schema version the app needs; default: the newest migration. */
  requiredSchemaVersion?: number;
  /** A tenant behind `requiredSchemaVersion`: `migrate` it on first access (default) or refuse with TenantUpgradingError. */
  onOutdated?: 'migrate' | 'error';
}

const limitsSchema = z.object({
  maxConnections: z.number().int().min(1).default(100),
  maxConnectionsPerTenant: z.number().int().min(1).default(5),
  idleTimeoutMs: z.number().int().min(1).default(30_000),
  maxPools: z.number().int().min(1).default(1_000),
  acquireTimeoutMs: z.number().int().min(1).default(5_000),
  locationTtlMs: z.number().int().min(0).default(10_000),
  requiredSchemaVersion: z.number().int().min(0).optional(),
  onOutdated: z.enum(['migrate', 'error']).default('migrate'),
});

const SHIPPED_MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** One user's database: queries run on the router's pool for that tenant, as the tenant's own role. */
export interface TenantHandle {
  readonly userId: string;
  readonly database: TenantDatabase;
  /** Runs one statement on a pooled connection (pg's `Pool.query`). */
  readonly query: pg.Pool['query'];
  /** A connection of its own (for a transaction); `release()` it when done. */
  connect(): Promise<pg.PoolClient>;
}

export interface TenantRouterStats {
  /** Connections open across every tenant. */
  connections: number;
  /** Requests waiting for a connection to come free. */
  waiting: number;
  pools: number;
  /** Tenant pools closed to make room, for being idle, or for the pool limit. */
  evictions: number;
}

export interface TenantRouter {
  /**
   * The user's database. `sessionMetadata`: `publicMetadata.database` from the user's session claims, which
   * saves a Clerk call; without it the router reads the Clerk user (cached).
   */
  forUser(userId: string, sessionMetadata?: unknown): Promise<TenantHandle>;
  /** Drops what the router remembers of a user (after the app learns their database changed). */
  forget(userId: string): Promise<void>;
  stats(): TenantRouterStats;
  /** Closes every pool, waiting for checked-out connections to be released. */
  close(): Promise<void>;
}

interface PoolEntry {
  pool: TenantPool;
  connection: TenantConnection;
}

/**
 * Routes each user to their own database through a bounded set of per-tenant pools: at most
 * `maxConnectionsPerTenant` connections per tenant and `maxConnections` in all, the least recently used idle
 * pool evicted when room is needed.
 */
export function createTenantRouter(options: TenantRouterOptions): TenantRouter {
  const parsed = limitsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new TenantRouterConfigError(`Invalid tenant router options: ${problems}`);
  }
  const limits = parsed.data;
  const locator = createTenantLocator({ clerk: options.clerk, ttlMs: limits.locationTtlMs });
  const connections = createConnectionSource(options);
  const closing = new Set<Promise<void>>();
  let evictions = 0;
  let closed = false;

  const gate = new ConnectionGate(limits.maxConnections, limits.acquireTimeoutMs, () => relieve());
  const GatedClient = gatedClientClass(gate);

  const pools = new LRUCache<string, PoolEntry>({
    max: limits.maxPools,
    ttl: limits.idleTimeoutMs,
    updateAgeOnGet: true,
    ttlAutopurge: true,
    dispose: ({ pool }, _key, reason) => {
      if (reason !== 'delete' || !closed) evictions++;
      // Closes the idle connections once no request waits in the pool, each checked-out one when it is released.
      const ended = pool.endWhenServed().catch(() => undefined);
      closing.add(ended);
      void ended.finally(() => closing.delete(ended));
    },
  });

  /** Evicts the least recently used pool that has an idle connection, to give a waiting request room. */
  function relieve(): void {
    let fallback: string | undefined;
    for (const key of pools.rkeys()) {
      const entry = pools.peek(key);
      if (!entry || entry.pool.idleCount === 0) continue;
      if (entry.pool.idleCount === entry.pool.totalCount && entry.pool.waitingCount === 0) {
        pools.delete(key);
        return;
      }
      fallback ??= key;
    }
    if (fallback !== undefined) pools.delete(fallback);
  }

  function openPool(key: string, connection: TenantConnection): PoolEntry {
    const existing = pools.get(key);
    if (existing) return existing;
    if (closed) throw new Error('The tenant router is closed');
    const pool = new TenantPool(
      {
        ...connection.config,
        Client: GatedClient,
        max: limits.maxConnectionsPerTenant,
        idleTimeoutMillis: limits.idleTimeoutMs,
        allowExitOnIdle: true,
      },
      connection.logIn,
    );
    // An idle connection that breaks is dropped by the pool; without a listener the process would crash.
    pool.on('error', () => undefined);
    // A connection returned to an idle pool while others wait for room elsewhere: close an idle one.
    pool.on('release', () => {
      if (gate.waiting > 0) setImmediate(relieve);
    });
    const entry = { pool, connection };
    pools.set(key, entry);
    return entry;
  }

  let migrations: Promise<readonly Migration[]> | undefined;
  const schema = createSchemaGate({
    migrations: () => {
      migrations ??= options.migrations ? Promise.resolve(options.migrations) : loadMigrations(SHIPPED_MIGRATIONS);
      return migrations;
    },
    requiredSchemaVersion: limits.requiredSchemaVersion,
    onOutdated: limits.onOutdated,
    gate,
  });

  return {
    async forUser(userId, sessionMetadata) {
      // Refuses anything but a Clerk user id before it reaches the Clerk API or a database name.
      const ownDatabase = tenantDatabaseName(userId);
      const location = await locator.locate(userId, sessionMetadata);
      if (location.status !== 'ready') throw new TenantNotReadyError(userId, location.status);
      const { database } = location;
      // Metadata (a session claim) naming another tenant's database must never reach that tenant's pool.
      if (database.name !== ownDatabase) {
        throw new TenantRouterConfigError(`The database "${database.name}" is not the one of ${userId}`);
      }
      const key = `${database.provider}\0${database.region}\0${database.name}`;
      const connection = pools.get(key)?.connection ?? (await connections.connectionFor(userId, database));
      const entry = openPool(key, connection);
      await schema.ensure(key, userId, entry.pool, connection.config);
      // Looked up on every use: a pool evicted meanwhile is opened again rather than used after its end().
      const pool = () => openPool(key, connection).pool;
      return {
        userId,
        database,
        query: ((...args: Parameters<pg.Pool['query']>) =>
          (pool().query as (...a: unknown[]) => unknown)(...args)) as pg.Pool['query'],
        connect: () => pool().connect(),
      };
    },

    async forget(userId) {
      locator.forget(userId);
    },

    stats() {
      return { connections: gate.open, waiting: gate.waiting, pools: pools.size, evictions };
    },

    async close() {
      closed = true;
      pools.clear();
      await Promise.all(closing);
    },
  };
}
