import type { PostgresRegion } from './regions.js';
import type { Env } from './schema.js';
import type { Requirements } from './requirements.js';

/** DB_PROVIDER=postgres: one server (DATABASE_URL in POSTGRES_REGION) or one per region (POSTGRES_REGIONS). */
export interface PostgresSettings {
  kind: 'postgres';
  /** TENANT_PASSWORD_SECRET: every tenant role's password is derived from it. */
  passwordSecret: string;
  /** TENANT_PASSWORD_SECRET_PREVIOUS: still accepted at tenant logins while a rotation runs. */
  previousPasswordSecret?: string;
  /** The servers, the first the default region. */
  servers: PostgresRegion[];
  /** POSTGRES_KEEP_PUBLIC_CONNECT: leave PUBLIC's CONNECT on the admin database and template1. */
  keepPublicConnect: boolean;
  /** What every tenant role is held to (TENANT_CONNECTION_LIMIT and the TENANT_*_TIMEOUT settings). */
  tenantLimits: { connectionLimit: number; statementTimeoutMs: number; idleInTransactionTimeoutMs: number };
  /** Each server's admin pool: a connection per activity slot (and one to cancel with), bounded waits. */
  pool: { size: number; connectMs: number; statementMs: number; lockMs: number };
}

/** DB_PROVIDER=xata: the Xata platform. */
export interface XataSettings {
  kind: 'xata';
  apiKey: string;
  apiUrl?: string;
  organizationId: string;
  projectId: string;
  parentBranch?: string;
  region?: string;
  /** TLS to branch databases; only a local stand-in turns it off. */
  tls: boolean;
  branchConfiguration?: { instanceType: string; image: string };
}

/** DB_PROVIDER=xata-lite: the legacy Xata Lite API. */
export interface XataLiteSettings {
  kind: 'xata-lite';
  apiKey: string;
  workspaceId: string;
  region: string;
  /** Xata Lite hosts and PostgreSQL endpoint overrides (a local stand-in); unset means Xata's own. */
  host?: { main: string; workspaces: string };
  postgres?: { host: string; port: number; user?: string; database?: string; ssl: boolean };
}

export type ProviderSettings = PostgresSettings | XataSettings | XataLiteSettings;

/** The chosen provider's settings, every one it cannot work without noted on `required` when missing. */
export function providerSettings(env: Env, required: Requirements): ProviderSettings {
  const why = `DB_PROVIDER=${env.DB_PROVIDER}`;
  switch (env.DB_PROVIDER) {
    case 'postgres': {
      const servers = env.POSTGRES_REGIONS ?? [
        {
          name: env.POSTGRES_REGION,
          adminUrl: required.need(
            env.DATABASE_URL,
            'DATABASE_URL',
            'DB_PROVIDER=postgres creates databases through it',
          ),
        },
      ];
      const passwordSecret = required.need(
        env.TENANT_PASSWORD_SECRET,
        'TENANT_PASSWORD_SECRET',
        'tenant passwords are derived from it',
      );
      const pool = {
        // One per activity and per local-activity slot (the worker bounds both by this setting), one to cancel with.
        size: 2 * env.WORKER_MAX_CONCURRENT_ACTIVITIES + 1,
        connectMs: env.DATABASE_CONNECT_TIMEOUT,
        statementMs: env.DATABASE_STATEMENT_TIMEOUT,
        lockMs: env.DATABASE_LOCK_TIMEOUT,
      };
      return {
        kind: 'postgres',
        passwordSecret,
        previousPasswordSecret: env.TENANT_PASSWORD_SECRET_PREVIOUS,
        servers,
        keepPublicConnect: env.POSTGRES_KEEP_PUBLIC_CONNECT,
        tenantLimits: {
          connectionLimit: env.TENANT_CONNECTION_LIMIT,
          statementTimeoutMs: env.TENANT_STATEMENT_TIMEOUT,
          idleInTransactionTimeoutMs: env.TENANT_IDLE_IN_TRANSACTION_TIMEOUT,
        },
        pool,
      };
    }
    case 'xata':
      return {
        kind: 'xata',
        apiKey: required.need(env.XATA_API_KEY, 'XATA_API_KEY', why),
        apiUrl: env.XATA_API_URL,
        organizationId: required.need(env.XATA_ORGANIZATION_ID, 'XATA_ORGANIZATION_ID', why),
        projectId: required.need(env.XATA_PROJECT_ID, 'XATA_PROJECT_ID', why),
        parentBranch: env.XATA_PARENT_BRANCH,
        region: env.XATA_REGION,
        tls: env.XATA_TLS,
        branchConfiguration:
          env.XATA_INSTANCE_TYPE && env.XATA_IMAGE
            ? { instanceType: env.XATA_INSTANCE_TYPE, image: env.XATA_IMAGE }
            : undefined,
      };
    case 'xata-lite':
      return {
        kind: 'xata-lite',
        apiKey: required.need(env.XATA_API_KEY, 'XATA_API_KEY', why),
        workspaceId: required.need(env.XATA_WORKSPACE_ID ?? env.XATA_WORKSPACE_SLUG, 'XATA_WORKSPACE_ID', why),
        region: env.XATA_REGION ?? 'us-east-1',
        host: env.XATA_LITE_HOST,
        postgres: env.XATA_LITE_POSTGRES_HOST
          ? {
              host: env.XATA_LITE_POSTGRES_HOST,
              port: env.XATA_LITE_POSTGRES_PORT,
              user: env.XATA_LITE_POSTGRES_USER,
              database: env.XATA_LITE_POSTGRES_DATABASE,
              ssl: env.XATA_TLS,
            }
          : undefined,
      };
  }
}

/** The regions a provider is configured for, without its secrets (what the demo page offers). */
export function configuredRegions(env: Env): string[] {
  if (env.DB_PROVIDER === 'postgres') return env.POSTGRES_REGIONS?.map((r) => r.name) ?? [env.POSTGRES_REGION];
  return env.XATA_REGION ? [env.XATA_REGION] : [];
}
