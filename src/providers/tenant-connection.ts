import pg, { type ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { tenantPassword } from './tenant-credentials.js';
import { tenantDatabaseName } from './tenant-names.js';

/** The secrets tenant passwords derive from. */
export interface TenantSecrets {
  passwordSecret: string;
  /**
   * TENANT_PASSWORD_SECRET_PREVIOUS during a rotation: a tenant whose role still has the old verifier logs in
   * with the password derived from it.
   */
  previousPasswordSecret?: string;
}

export interface TenantConnectionSettings extends TenantSecrets {
  /** The admin connection URL: host, port and TLS settings are taken from it, never its user or password. */
  adminUrl: string;
}

/** invalid_password: what PostgreSQL answers a wrong password with. */
const INVALID_PASSWORD = '28P01';

/**
 * How an app connects to a user's database: the server of the admin URL (host, port, sslmode and the rest of
 * its options, parsed exactly as pg parses it), as the tenant role with the password derived from the current
 * secret. Holds a secret.
 */
export function tenantConnectionConfig(settings: TenantConnectionSettings, userId: string): ClientConfig {
  const name = tenantDatabaseName(userId);
  return {
    ...parseIntoClientConfig(settings.adminUrl),
    user: name,
    database: name,
    password: tenantPassword(settings.passwordSecret, userId),
  };
}

/** How a tenant logs in: see `tenantLogin`. */
export interface TenantLogin {
  /** The password to log in with now: the one that worked last (the current secret's at first). */
  password(): string;
  /**
   * Runs `open`, a login with `password()`. When PostgreSQL refuses the password and a previous secret is set (a
   * rotation under way), switches to the other secret's password and runs `open` once more.
   */
  logIn<T>(open: (password: string) => Promise<T>): Promise<T>;
}

/**
 * The one place that decides which secret a tenant logs in with. It remembers the one that worked, so a caller
 * that logs in often (the tenant router's pools) pays a refused attempt only when the tenant's role changes
 * secret, once per rotation.
 */
export function tenantLogin(secrets: TenantSecrets, userId: string): TenantLogin {
  const passwords = [secrets.passwordSecret, secrets.previousPasswordSecret]
    .filter((secret) => secret !== undefined)
    .map((secret) => tenantPassword(secret, userId));
  let working = 0;
  const password = () => passwords[working]!;
  return {
    password,
    async logIn(open) {
      const tried = working;
      try {
        return await open(passwords[tried]!);
      } catch (error) {
        if (passwords.length < 2 || (error as { code?: unknown }).code !== INVALID_PASSWORD) throw error;
        // A concurrent login may have switched already; never switch back what it learnt.
        if (working === tried) working = 1 - tried;
        return open(password());
      }
    },
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

function logIn(settings: TenantConnectionSettings, userId: string) {
  return tenantLogin(settings, userId).logIn(async (password) => {
    const config = { ...tenantConnectionConfig(settings, userId), password };
    return { client: await connected(config), config };
  });
}

async function connected(config: ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  await client.connect();
  return client;
}
