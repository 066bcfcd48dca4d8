import type { ConnectionOptions } from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { ClientConfig } from 'pg';
import { tenantLogin, type TenantLogin, type TenantSecrets } from '../providers/tenant-connection.js';
import type { TenantDatabase } from '../providers/types.js';
import { createXataLiteProvider, type XataLiteProviderOptions } from '../providers/xata-lite.js';
import { createXataProvider, type XataProviderOptions } from '../providers/xata.js';
import { TenantRouterConfigError } from './errors.js';

/** One PostgreSQL server holding tenant databases: where the app reaches it (not the admin's URL). */
export interface TenantServer {
  host: string;
  port?: number;
  ssl?: boolean | ConnectionOptions;
}

export interface TenantBackends {
  /**
   * PostgreSQL: the tenant server of each region, and TENANT_PASSWORD_SECRET to derive the tenant roles'
   * passwords (with TENANT_PASSWORD_SECRET_PREVIOUS during a rotation: tenants not yet rotated log in with it).
   */
  postgres?: TenantSecrets & { regions: Record<string, TenantServer> };
  /** Xata platform: the project's API access; branch credentials are fetched from the API and cached. */
  xata?: XataProviderOptions & { credentialsTtlMs?: number };
  xataLite?: XataLiteProviderOptions;
}

const DEFAULT_CREDENTIALS_TTL_MS = 5 * 60_000;

/** How the router connects to one tenant. */
export interface TenantConnection {
  config: ClientConfig;
  /** Wraps each login: PostgreSQL tenants retry a refused password with the other secret during a rotation. */
  logIn<T>(open: () => Promise<T>): Promise<T>;
}

const asItIs = <T>(open: () => Promise<T>) => open();

/**
 * How to connect to a user's database, as the user's own role: derived for PostgreSQL, from the Xata API for
 * the platform (cached with an expiry, so a rotated password is picked up), from the API key for Xata Lite.
 * Passwords are functions, so logging a config never prints one.
 */
export function createConnectionSource(backends: TenantBackends) {
  const xata = backends.xata && createXataProvider(backends.xata);
  const xataLite = backends.xataLite && createXataLiteProvider(backends.xataLite);
  const xataCredentials =
    xata &&
    new LRUCache<string, ClientConfig, TenantDatabase>({
      max: 10_000,
      ttl: backends.xata?.credentialsTtlMs ?? DEFAULT_CREDENTIALS_TTL_MS,
      fetchMethod: (_name, _stale, { context }) => xata.adminConnection(context),
    });

  // Outlives the tenant's pool: a pool evicted and opened again during a rotation starts from the secret that
  // worked, rather than with a refused login (and an authentication failure in the server's log).
  const postgresLogins = new LRUCache<string, TenantLogin>({ max: 10_000 });

  return {
    /** `db` must be the user's own database (the router checks the name first). */
    async connectionFor(userId: string, db: TenantDatabase): Promise<TenantConnection> {
      switch (db.provider) {
        case 'postgres': {
          const settings = backends.postgres;
          const server = settings?.regions[db.region];
          if (!settings || !server) {
            throw new TenantRouterConfigError(`The router has no PostgreSQL server for region "${db.region}"`);
          }
          let login = postgresLogins.get(userId);
          if (!login) postgresLogins.set(userId, (login = tenantLogin(settings, userId)));
          return {
            config: { ...server, user: db.name, database: db.name, password: login.password },
            logIn: (open) => login.logIn(open),
          };
        }
        case 'xata': {
          if (!xataCredentials) throw new TenantRouterConfigError('The router has no xata settings');
          const first = await xataCredentials.fetch(db.name, { context: db });
          if (!first) throw new Error(`No credentials for Xata branch ${db.name}`);
          const { password: _, ...rest } = first;
          const config: ClientConfig = {
            ...rest,
            // Each new connection asks the cache, which fetches fresh credentials once the old ones expired.
            password: async () => {
              const current = await xataCredentials.fetch(db.name, { context: db });
              const secret = current?.password;
              return typeof secret === 'function' ? secret() : (secret ?? '');
            },
          };
          return { config, logIn: asItIs };
        }
        case 'xata-lite':
          if (!xataLite) throw new TenantRouterConfigError('The router has no xataLite settings');
          return { config: await xataLite.adminConnection(db), logIn: asItIs };
      }
    },
  };
}
