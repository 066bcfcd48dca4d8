import type { Config } from '../config/index.js';
import type { DatabaseProvider } from './types.js';

/**
 * The provider DB_PROVIDER names, built from the validated configuration. Each is imported only when chosen,
 * so a PostgreSQL deployment never loads the Xata SDKs.
 */
export async function createProvider(config: Config): Promise<DatabaseProvider> {
  const { xata } = config;
  switch (config.provider) {
    case 'postgres': {
      if (config.postgres.regions) {
        const { createPostgresRegionsProvider } = await import('./postgres-regions.js');
        return createPostgresRegionsProvider({
          regions: config.postgres.regions,
          passwordSecret: config.postgres.passwordSecret!,
        });
      }
      const { createPostgresProvider } = await import('./postgres.js');
      return createPostgresProvider({
        adminUrl: config.postgres.adminUrl!,
        passwordSecret: config.postgres.passwordSecret!,
        region: config.postgres.region,
      });
    }
    case 'xata': {
      const { createXataProvider } = await import('./xata.js');
      return createXataProvider({
        apiKey: xata.apiKey!,
        apiUrl: xata.apiUrl,
        organizationId: xata.organizationId!,
        projectId: xata.projectId!,
        parentBranch: xata.parentBranch,
        region: xata.region,
        tls: xata.tls,
        branchConfiguration:
          xata.instanceType && xata.image ? { instanceType: xata.instanceType, image: xata.image } : undefined,
      });
    }
    case 'xata-lite': {
      const { createXataLiteProvider, XATA_LITE_POSTGRES } = await import('./xata-lite.js');
      const pg = xata.litePostgres;
      return createXataLiteProvider({
        apiKey: xata.apiKey!,
        workspaceId: xata.workspaceId!,
        region: xata.region ?? 'us-east-1',
        host: xata.liteHost,
        postgres: pg
          ? {
              host: pg.host,
              port: pg.port,
              user: pg.user ?? XATA_LITE_POSTGRES.user,
              database: pg.database ?? XATA_LITE_POSTGRES.database,
              ssl: xata.tls,
            }
          : undefined,
      });
    }
  }
}
