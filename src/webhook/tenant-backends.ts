import type { ProviderSettings } from '../config/index.js';
import { xataLiteOptions } from '../providers/xata-lite.js';
import type { TenantBackends } from '../tenant-router/index.js';

/**
 * Where the tenant router reaches users' databases, from the same provider settings the worker creates them
 * with: for PostgreSQL each region's server (host and port of its admin URL; the tenant's own role logs in, with
 * the previous secret too while a rotation runs).
 */
export function tenantBackends(settings: ProviderSettings): TenantBackends {
  switch (settings.kind) {
    case 'postgres':
      return {
        postgres: {
          passwordSecret: settings.passwordSecret,
          previousPasswordSecret: settings.previousPasswordSecret,
          regions: Object.fromEntries(
            settings.servers.map(({ name, adminUrl }) => {
              const url = new URL(adminUrl);
              const sslmode = url.searchParams.get('sslmode');
              const ssl = sslmode !== null && sslmode !== 'disable';
              return [name, { host: url.hostname, port: Number(url.port || 5432), ssl }];
            }),
          ),
        },
      };
    case 'xata':
      return { xata: settings };
    case 'xata-lite':
      return { xataLite: xataLiteOptions(settings) };
  }
}
