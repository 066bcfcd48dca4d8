export {
  createTenantRouter,
  type TenantHandle,
  type TenantRouter,
  type TenantRouterOptions,
  type TenantRouterStats,
} from './router.js';
export type { TenantBackends, TenantServer } from './connections.js';
export {
  TenantNotReadyError,
  TenantPoolExhaustedError,
  TenantRouterConfigError,
  TenantUpgradingError,
  type TenantNotReadyStatus,
} from './errors.js';
export {
  resolveTenant,
  tenantMiddleware,
  type RequestLike,
  type SessionVerification,
  type TenantResolution,
} from './middleware.js';
