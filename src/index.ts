/** What an app imports from per-user-db: how to reach a user's database, and the shapes it can read. */
export { connectTenant, tenantConnectionConfig, type TenantConnectionSettings } from './providers/tenant-connection.js';
export { tenantDatabaseName } from './providers/tenant-names.js';
export type { DatabaseMetadata } from './domain/index.js';
export type { TenantDatabase } from './providers/types.js';
export {
  createTenantRouter,
  resolveTenant,
  tenantMiddleware,
  TenantNotReadyError,
  TenantPoolExhaustedError,
  TenantRouterConfigError,
  TenantUpgradingError,
  type RequestLike,
  type SessionVerification,
  type TenantBackends,
  type TenantHandle,
  type TenantNotReadyStatus,
  type TenantResolution,
  type TenantRouter,
  type TenantRouterOptions,
  type TenantRouterStats,
  type TenantServer,
} from './tenant-router/index.js';
