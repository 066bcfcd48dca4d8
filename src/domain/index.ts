/**
 * Rules stated once: Clerk user ids, region names, the database metadata written to Clerk, secret masking, a
 * deadline on a call that cannot be aborted.
 */
export { CLERK_USER_ID, clerkUserIdSchema, isClerkUserId } from './user-id.js';
export { REGION_NAME, REGION_NAME_MAX_LENGTH, REGION_NAME_RULE, isRegionName, regionNameSchema } from './region.js';
export type { DatabaseMetadata, DatabaseStatus, RegionSource } from './database-metadata.js';
export { REDACTED, maskUrl, redactSecrets } from './mask.js';
export { withDeadline } from './deadline.js';
