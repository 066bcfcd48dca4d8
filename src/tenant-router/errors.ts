/** Why a user has no database to use yet (or any more); `missing`: no such Clerk user, or no record at all. */
export type TenantNotReadyStatus = 'provisioning' | 'failed' | 'deleting' | 'deleted' | 'missing';

/** The user has no ready database: the app should answer "not ready yet" (409), not retry in a loop. */
export class TenantNotReadyError extends Error {
  override name = 'TenantNotReadyError';
  constructor(
    readonly userId: string,
    readonly status: TenantNotReadyStatus,
  ) {
    super(`The database of ${userId} is not ready (status: ${status})`);
  }
}

/** The tenant's schema is behind the version the app needs and the router was told not to migrate it. */
export class TenantUpgradingError extends Error {
  override name = 'TenantUpgradingError';
  constructor(
    readonly userId: string,
    readonly schemaVersion: number,
    readonly requiredSchemaVersion: number,
  ) {
    super(
      `The database of ${userId} is at schema version ${schemaVersion}, the app needs ${requiredSchemaVersion}; ` +
        'it is being upgraded, try again shortly',
    );
  }
}

/** No connection came free within the wait: every one of the router's connections is in use. */
export class TenantPoolExhaustedError extends Error {
  override name = 'TenantPoolExhaustedError';
  constructor(
    readonly maxConnections: number,
    readonly waitedMs: number,
  ) {
    super(`All ${maxConnections} tenant connections were busy for ${waitedMs} ms`);
  }
}

/** The router cannot reach this tenant with the options it was given (an unknown region or provider). */
export class TenantRouterConfigError extends Error {
  override name = 'TenantRouterConfigError';
}
