import type { PostgresRegion } from '../config/regions.js';
import { createPostgresProvider, type PostgresProviderOptions } from './postgres.js';
import { PermanentProviderError, type DatabaseProvider, type TenantDatabase } from './types.js';

export interface PostgresRegionsOptions extends Omit<PostgresProviderOptions, 'adminUrl' | 'region'> {
  /** One PostgreSQL server per region (POSTGRES_REGIONS); the first is the default. */
  regions: PostgresRegion[];
}

/**
 * PostgreSQL across several servers, one per region: each region is an ordinary postgres provider, and this
 * one routes to it by the region asked for (create) or recorded (adminConnection). Operations by user id alone
 * (drop, lock, unlock) go to every server, so they stay idempotent wherever the database is.
 */
export function createPostgresRegionsProvider(options: PostgresRegionsOptions): DatabaseProvider {
  if (options.regions.length === 0) {
    throw new PermanentProviderError('POSTGRES_REGIONS names no region', 'InvalidRequest');
  }
  const { regions, ...shared } = options;
  const servers = new Map(
    regions.map(({ name, adminUrl }) => [name, createPostgresProvider({ ...shared, adminUrl, region: name })]),
  );
  const names = [...servers.keys()];
  const all = [...servers.values()];

  function serverFor(region: string): DatabaseProvider {
    const server = servers.get(region);
    if (!server) {
      throw new PermanentProviderError(
        `Region "${region}" is not available for the postgres provider; allowed regions: ${names.join(', ')}`,
        'InvalidRequest',
      );
    }
    return server;
  }

  /** Runs an operation on every server; true when any of them had the user's database. */
  async function onEvery(run: (server: DatabaseProvider) => Promise<{ existed: boolean }>) {
    const results = await Promise.all(all.map(run));
    return { existed: results.some((r) => r.existed) };
  }

  return {
    name: 'postgres',
    async ready() {
      await Promise.all(all.map((server) => server.ready!()));
    },
    async regions() {
      return [...names];
    },
    create(userId, { region, signal }) {
      return serverFor(region ?? names[0]!).create(userId, { region: region ?? names[0]!, signal });
    },
    adminConnection(db: TenantDatabase) {
      return serverFor(db.region).adminConnection(db);
    },
    drop: (userId) => onEvery((server) => server.drop(userId)),
    lock: (userId) => onEvery((server) => server.lock!(userId)),
    unlock: (userId) => onEvery((server) => server.unlock!(userId)),
    rotateCredentials: (userId) => onEvery((server) => server.rotateCredentials!(userId)),
    async *list() {
      for (const server of all) yield* server.list();
    },
    async close() {
      await Promise.all(all.map((server) => server.close()));
    },
  };
}
