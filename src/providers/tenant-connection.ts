import pg, { type ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { tenantPassword } from './tenant-credentials.js';
import { tenantDatabaseName } from './tenant-names.js';

export interface TenantConnectionSettings {
  /** The admin connection URL: host, port and TLS settings are taken from it, never its user or password. */
  adminUrl: string;
  passwordSecret: string;
  /**
   * TENANT_PASSWORD_SECRET_PREVIOUS during a rotation: a tenant whose role still has the old verifier logs in
   * with the password derived from it.
   */
  previousPasswordSecret?: string;
}

/** invalid_password: what PostgreSQL answers a wrong password with. */
const INVALID_PASSWORD = '28P01';

/**
 * How an app connects to a user's database: the server of the admin URL (host, port, sslmode and the rest of
 * its options, parsed exactly as pg parses it), as the tenant role with the password derived from the current
 * secret. Holds a secret.
 */
export function tenantConnectionConfig(settings: TenantConnectionSettings, userId: string): ClientConfig {
  return configWith(settings, settings.passwordSecret, userId);
}

function configWith(settings: TenantConnectionSettings, secret: string, userId: string): ClientConfig {
  const name = tenantDatabaseName(userId);
  return {
    ...parseIntoClientConfig(settings.adminUrl),
    user: name,
    database: name,
    password: tenantPassword(secret, userId),
  };
}

/**
 * An open connection to the user's database: with the current secret's password, and when PostgreSQL refuses
 * it and a previous secret is set (a rotation under way), with the previous one's.
 */
export async function connectTenant(settings: TenantConnectionSettings, userId: string): Promise<pg.Client> {
  return (await logIn(settings, userId)).client;
}

/**
 * The connection settings that log in right now, for code that opens its own connections (the migration
 * runner). During a rotation it logs in once to find out which secret the role is at.
 */
export async function workingTenantConnectionConfig(
  settings: TenantConnectionSettings,
  userId: string,
): Promise<ClientConfig> {
  if (settings.previousPasswordSecret === undefined) return tenantConnectionConfig(settings, userId);
  const { client, config } = await logIn(settings, userId);
  await client.end();
  return config;
}

async function logIn(settings: TenantConnectionSettings, userId: string) {
  const current = tenantConnectionConfig(settings, userId);
  try {
    return { client: await connected(current), config: current };
  } catch (error) {
    const previous = settings.previousPasswordSecret;
    if (previous === undefined || (error as { code?: unknown }).code !== INVALID_PASSWORD) throw error;
    const config = configWith(settings, previous, userId);
    return { client: await connected(config), config };
  }
}

async function connected(config: ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  await client.connect();
  return client;
}
