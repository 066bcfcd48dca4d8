import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { applyMigrations, latestVersion, readSchemaVersion, type Migration } from '../migrations/index.js';
import type { ConnectionGate } from './connection-gate.js';
import { TenantRouterConfigError, TenantUpgradingError } from './errors.js';

export interface SchemaGateOptions {
  migrations: () => Promise<readonly Migration[]>;
  /** Default: the newest migration. */
  requiredSchemaVersion?: number;
  /** `migrate` (default): apply the pending migrations on first access; `error`: refuse with TenantUpgradingError. */
  onOutdated: 'migrate' | 'error';
  gate: ConnectionGate;
}

/**
 * Makes sure a tenant's schema is at least the version the app needs before the app gets a handle on it, once
 * per tenant (schemas only move forward). Migrating goes through the fleet migration's runner, so the same
 * advisory lock and checksum rules apply and a concurrent fleet rollout simply takes turns with it.
 */
export function createSchemaGate(options: SchemaGateOptions) {
  const current = new LRUCache<string, true>({ max: 100_000 });
  const checking = new Map<string, Promise<void>>();

  async function check(key: string, userId: string, pool: pg.Pool, config: pg.ClientConfig): Promise<void> {
    const migrations = await options.migrations();
    const newest = latestVersion(migrations);
    const required = options.requiredSchemaVersion ?? newest;
    if (required > newest) {
      throw new TenantRouterConfigError(
        `requiredSchemaVersion ${required} is newer than the newest migration ${newest}`,
      );
    }
    const client = await pool.connect();
    let version: number;
    try {
      version = await readSchemaVersion(client);
    } finally {
      client.release();
    }
    if (version < required) {
      if (options.onOutdated === 'error') throw new TenantUpgradingError(userId, version, required);
      // The runner opens a connection of its own: it counts against the global cap like any other.
      await options.gate.hold(() =>
        applyMigrations(
          config,
          migrations.filter((m) => m.version <= required),
        ),
      );
    }
    current.set(key, true);
  }

  return {
    ensure(key: string, userId: string, pool: pg.Pool, config: pg.ClientConfig): Promise<void> {
      if (current.has(key)) return Promise.resolve();
      let running = checking.get(key);
      if (!running) {
        running = check(key, userId, pool, config).finally(() => checking.delete(key));
        checking.set(key, running);
      }
      return running;
    },
  };
}
