import { randomBytes } from 'node:crypto';
import type { ProviderName } from '../../src/config/index.js';
import { startXataLiteStandIn, startXataStandIn } from '../../dev/xata-stand-in/index.js';
import { testDatabaseUrl } from './postgres.js';

export interface ProviderEnv {
  /** Environment that points the worker at this provider (its local stand-in for Xata). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * What the worker needs to provision on each provider: PostgreSQL directly, or a local stand-in of the Xata
 * platform / Xata Lite API backed by the same real PostgreSQL. Configured only through environment
 * variables, exactly as a deployment would be.
 */
export async function providerEnv(provider: ProviderName): Promise<ProviderEnv> {
  const adminUrl = await testDatabaseUrl();
  const suffix = randomBytes(4).toString('hex');
  const apiKey = `xau_${randomBytes(16).toString('hex')}`;
  if (provider === 'xata') {
    const organizationId = `org-${suffix}`;
    const projectId = `prj-${suffix}`;
    const standIn = await startXataStandIn({ adminUrl, apiKey, organizationId, projectId });
    return {
      env: {
        DB_PROVIDER: 'xata',
        XATA_API_KEY: apiKey,
        XATA_API_URL: standIn.url,
        XATA_ORGANIZATION_ID: organizationId,
        XATA_PROJECT_ID: projectId,
        XATA_REGION: 'local',
        XATA_TLS: 'false',
        XATA_INSTANCE_TYPE: 'stand-in',
        XATA_IMAGE: 'postgres',
      },
      stop: () => standIn.stop(),
    };
  }
  if (provider === 'xata-lite') {
    const workspaceId = `ws-${suffix}`;
    const standIn = await startXataLiteStandIn({ adminUrl, apiKey, workspaceId });
    return {
      env: {
        DB_PROVIDER: 'xata-lite',
        XATA_API_KEY: apiKey,
        XATA_WORKSPACE_ID: workspaceId,
        XATA_REGION: 'local',
        XATA_TLS: 'false',
        XATA_LITE_HOST: `${standIn.host.main},${standIn.host.workspaces}`,
        XATA_LITE_POSTGRES_HOST: standIn.postgres.host,
        XATA_LITE_POSTGRES_PORT: String(standIn.postgres.port),
        XATA_LITE_POSTGRES_USER: standIn.postgres.user,
        XATA_LITE_POSTGRES_DATABASE: standIn.postgres.database,
      },
      stop: () => standIn.stop(),
    };
  }
  return { env: { DB_PROVIDER: 'postgres' }, stop: async () => undefined };
}
