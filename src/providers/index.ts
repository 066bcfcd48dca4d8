import type { ProviderSettings } from '../config/index.js';
import type { DatabaseProvider } from './types.js';

/**
 * The provider DB_PROVIDER names, from its validated settings. Each is imported only when chosen, so a
 * PostgreSQL deployment never loads the Xata SDKs.
 */
export async function createProvider(settings: ProviderSettings): Promise<DatabaseProvider> {
  switch (settings.kind) {
    case 'postgres': {
      const { servers, pool, ...shared } = settings;
      const { size: poolSize, ...timeouts } = pool;
      const [only, ...others] = servers;
      if (only && others.length === 0) {
        const { createPostgresProvider } = await import('./postgres.js');
        return createPostgresProvider({ ...shared, poolSize, timeouts, adminUrl: only.adminUrl, region: only.name });
      }
      const { createPostgresRegionsProvider } = await import('./postgres-regions.js');
      return createPostgresRegionsProvider({ ...shared, poolSize, timeouts, regions: servers });
    }
    case 'xata': {
      const { createXataProvider } = await import('./xata.js');
      return createXataProvider(settings);
    }
    case 'xata-lite': {
      const { createXataLiteProvider, xataLiteOptions } = await import('./xata-lite.js');
      return createXataLiteProvider(xataLiteOptions(settings));
    }
  }
}
