import { FetcherError, XataApiClient } from '@xata.io/client';
import type { ClientConfig } from 'pg';
import type { XataLiteSettings } from '../config/index.js';
import { z } from 'zod';
import { withDeadline } from '../domain/index.js';
import { tenantDatabaseName, userIdFromTenantDatabaseName } from './tenant-names.js';
import { abortableFetch, withRequestSignal } from './request-signal.js';
import { xataError } from './xata-errors.js';
import { PermanentProviderError, type DatabaseProvider, type TenantDatabase } from './types.js';

/** The branch every Lite database is created with; tenants use only this one. */
const BRANCH = 'main';

/**
 * Where a Lite database is reached over the PostgreSQL wire. Every string may hold `{workspaceId}`,
 * `{region}`, `{db}` and `{branch}`.
 */
export interface XataLitePostgresEndpoint {
  host: string;
  port: number;
  user: string;
  database: string;
  ssl: boolean;
}

/** Xata Lite's own endpoint: `postgresql://{workspaceId}:{apiKey}@{region}.sql.xata.sh:5432/{db}:{branch}?sslmode=require`. */
export const XATA_LITE_POSTGRES: XataLitePostgresEndpoint = {
  host: '{region}.sql.xata.sh',
  port: 5432,
  user: '{workspaceId}',
  database: '{db}:{branch}',
  ssl: true,
};

/** The provider's options from DB_PROVIDER=xata-lite settings: an endpoint override keeps Xata's user and database. */
export function xataLiteOptions(settings: XataLiteSettings): XataLiteProviderOptions {
  const { postgres } = settings;
  return {
    ...settings,
    postgres: postgres && {
      ...postgres,
      user: postgres.user ?? XATA_LITE_POSTGRES.user,
      database: postgres.database ?? XATA_LITE_POSTGRES.database,
    },
  };
}

export interface XataLiteProviderOptions {
  apiKey: string;
  workspaceId: string;
  /** Default region for new databases. */
  region: string;
  /** The SDK's hosts; `{ main, workspaces }` with `{workspaceId}`/`{region}` placeholders. Default: production. */
  host?: { main: string; workspaces: string };
  postgres?: XataLitePostgresEndpoint;
  /**
   * Longest wait for one API call. The SDK retries a 429 forever and takes no timeout, so without this an
   * activity could hang. Default 30 s.
   */
  callTimeoutMs?: number;
}

const databaseSchema = z.object({ name: z.string().min(1), region: z.string().min(1) });
const databaseListSchema = z.object({ databases: z.array(databaseSchema) });
const regionsSchema = z.object({ regions: z.array(z.object({ id: z.string().min(1) })) });

/** A Lite API call that did not settle in time; retryable, the SDK may still be waiting out a rate limit. */
export class XataLiteTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`Xata Lite ${operation} did not answer within ${timeoutMs} ms (rate limited or unreachable); try again`);
    this.name = 'XataLiteTimeoutError';
  }
}

/**
 * DB_PROVIDER=xata-lite (legacy): one Xata Lite database per user, named `tenant_<clerk user id>`, created with
 * PostgreSQL access on; the schema is applied over the PostgreSQL wire.
 */
export function createXataLiteProvider(options: XataLiteProviderOptions): DatabaseProvider {
  const { apiKey, workspaceId } = options;
  const timeoutMs = options.callTimeoutMs ?? 30_000;
  const endpoint = options.postgres ?? XATA_LITE_POSTGRES;
  const xata = new XataApiClient({ apiKey, host: options.host ?? 'production', fetch: abortableFetch });
  const secrets = [apiKey];

  const call = async <T>(operation: string, schema: z.ZodType<T>, run: () => Promise<unknown>): Promise<T> => {
    let body: unknown;
    try {
      body = await withDeadline(run(), timeoutMs, () => new XataLiteTimeoutError(operation, timeoutMs));
    } catch (error) {
      throw toProviderError(operation, error, secrets);
    }
    const result = schema.safeParse(body);
    if (!result.success) {
      throw new Error(`Xata Lite ${operation} answered in an unexpected shape: ${result.error.issues[0]?.message}`);
    }
    return result.data;
  };

  const describe = async (dbName: string): Promise<TenantDatabase | undefined> => {
    try {
      const db = await call('getDatabaseMetadata', databaseSchema, () =>
        xata.databases.getDatabaseMetadata({ pathParams: { workspaceId, dbName } }),
      );
      return tenant(db);
    } catch (error) {
      if (error instanceof PermanentProviderError && error.type === 'NotFound') return undefined;
      throw error;
    }
  };

  const regions = async () => {
    const offered = (
      await call('listRegions', regionsSchema, () => xata.databases.listRegions({ pathParams: { workspaceId } }))
    ).regions.map((r) => r.id);
    return [options.region, ...offered.filter((r) => r !== options.region)];
  };

  const createDatabase = async (userId: string, region: string | undefined): Promise<TenantDatabase> => {
    const dbName = tenantDatabaseName(userId);
    const existing = await describe(dbName);
    if (existing) return existing;
    const wanted = region ?? options.region;
    const offered = await regions();
    if (!offered.includes(wanted)) {
      throw new PermanentProviderError(
        `Region "${wanted}" is not offered by Xata Lite (regions: ${offered.join(', ')})`,
        'InvalidRequest',
      );
    }
    try {
      await call('createDatabase', z.unknown(), () =>
        xata.databases.createDatabase({
          pathParams: { workspaceId, dbName },
          body: { region: wanted, branchName: BRANCH, postgresEnabled: true },
        }),
      );
    } catch (error) {
      // "Already exists" (409/422) after a concurrent create: the re-read below settles it.
      if (!(error instanceof PermanentProviderError && error.type === 'InvalidRequest')) throw error;
      if (!(await describe(dbName))) throw error;
    }
    return { provider: 'xata-lite', name: dbName, region: wanted };
  };

  return {
    name: 'xata-lite',
    regions,

    create: (userId, { region, signal }) => withRequestSignal(signal, () => createDatabase(userId, region)),

    async adminConnection(db) {
      const fill = (template: string) =>
        template
          .replaceAll('{workspaceId}', workspaceId)
          .replaceAll('{region}', db.region)
          .replaceAll('{db}', db.name)
          .replaceAll('{branch}', BRANCH);
      return {
        host: fill(endpoint.host),
        port: endpoint.port,
        user: fill(endpoint.user),
        database: fill(endpoint.database),
        // The API key is the password: a function, so printing the config object does not print it.
        password: () => apiKey,
        ssl: endpoint.ssl,
      } satisfies ClientConfig;
    },

    async drop(userId) {
      const dbName = tenantDatabaseName(userId);
      try {
        await call('deleteDatabase', z.unknown(), () =>
          xata.databases.deleteDatabase({ pathParams: { workspaceId, dbName } }),
        );
        return { existed: true };
      } catch (error) {
        if (error instanceof PermanentProviderError && error.type === 'NotFound') return { existed: false };
        throw error;
      }
    },

    async *list() {
      const { databases } = await call('getDatabaseList', databaseListSchema, () =>
        xata.databases.getDatabaseList({ pathParams: { workspaceId } }),
      );
      for (const db of databases) if (userIdFromTenantDatabaseName(db.name) !== undefined) yield tenant(db);
    },

    async close() {},
  };
}

function tenant(db: { name: string; region: string }): TenantDatabase {
  return { provider: 'xata-lite', name: db.name, region: db.region };
}

function toProviderError(operation: string, error: unknown, secrets: readonly string[]): Error {
  if (error instanceof PermanentProviderError || error instanceof XataLiteTimeoutError) return error;
  if (error instanceof FetcherError) {
    const status = Number(error.status);
    return xataError(
      operation,
      { status: Number.isInteger(status) ? status : undefined, message: error.message, requestId: error.requestId },
      secrets,
    );
  }
  return xataError(operation, { message: error instanceof Error ? error.message : String(error) }, secrets);
}
