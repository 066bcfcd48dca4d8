import type { ClientConfig } from 'pg';
import type { ProviderName } from '../config/index.js';

/** Where a tenant database lives. Safe to put in workflow history, logs and Clerk: it holds no secret. */
export interface TenantDatabase {
  provider: ProviderName;
  /** The provider's name for the database (PostgreSQL database name, Xata branch or database name). */
  name: string;
  region: string;
}

/** A permanent failure: retrying cannot help (bad credentials, an invalid name, a missing project). */
export class PermanentProviderError extends Error {
  constructor(
    message: string,
    readonly type: 'InvalidName' | 'BadCredentials' | 'NotFound' | 'InvalidRequest',
  ) {
    super(message);
    this.name = 'PermanentProviderError';
  }
}

/** A transient failure with the provider's own word on when to try again. */
export class ProviderRateLimitError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'ProviderRateLimitError';
  }
}

/**
 * One backend that can hold a database per user. Every method is idempotent: calling it again after a crash,
 * or concurrently, converges on the same result. A provider knows nothing of Clerk or Temporal.
 */
export interface DatabaseProvider {
  readonly name: ProviderName;
  /**
   * Checks the backend is safe to hand out tenants on and converges it (PostgreSQL: refuses an admin database
   * every role may create in, revokes PUBLIC's CONNECT, converges tenant limits). The worker awaits it before
   * polling; every other method awaits it too. Optional: a provider with nothing to check has none.
   */
  ready?(): Promise<void>;
  /** Regions this provider can place a database in; the first is the default. */
  regions(): Promise<string[]>;
  /** Creates the user's database, or finds the one that already exists; `signal` stops the work early. */
  create(userId: string, options: { region?: string; signal?: AbortSignal }): Promise<TenantDatabase>;
  /**
   * Connection settings for migrating the tenant database, with credentials. Only ever used inside an
   * activity; never returned from one.
   */
  adminConnection(db: TenantDatabase): Promise<ClientConfig>;
  /** Removes the user's database (and role or branch). Answers whether anything was there. */
  drop(userId: string): Promise<{ existed: boolean }>;
  /**
   * Keeps the user's database but shuts the tenant out (deletion grace period): no new logins, open sessions
   * ended. Answers whether there was a database to lock. Optional: a provider without it keeps the database
   * open during the grace period.
   */
  lock?(userId: string): Promise<{ existed: boolean }>;
  /** Undoes `lock` (a deletion restored within its grace period). */
  unlock?(userId: string): Promise<{ existed: boolean }>;
  /**
   * Sets the tenant's login to the password derived from the current TENANT_PASSWORD_SECRET (a rotation).
   * Answers whether there was a tenant. Optional: providers whose credentials are their own have none.
   */
  rotateCredentials?(userId: string): Promise<{ existed: boolean }>;
  /** Every tenant database this provider holds, for reconciliation and fleet migrations. */
  list(): AsyncIterable<TenantDatabase>;
  close(): Promise<void>;
}
