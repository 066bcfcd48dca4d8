import type { ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { tenantPassword } from './tenant-credentials.js';
import { tenantDatabaseName } from './tenant-names.js';

export interface TenantConnectionSettings {
  /** The admin connection URL: host, port and TLS settings are taken from it, never its user or password. */
  adminUrl: string;
  passwordSecret: string;
}

/**
 * How an app connects to a user's database: the server of the admin URL (host, port, sslmode and the rest of
 * its options, parsed exactly as pg parses it), as the tenant role with its derived password. Holds a secret.
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
