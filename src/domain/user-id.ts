import { z } from 'zod';

/**
 * A Clerk user id: `user_` followed by base62 (Clerk issues 27 characters, a KSUID; see
 * /work/shared/clerk-examples). Case matters (`user_aB` and `user_ab` are different users). The length is capped so
 * that an id's tenant database name (`tenant_user_…`) fits PostgreSQL's 63-byte identifiers: an id the provider
 * would refuse is refused at the edge (webhook, CLI), before any workflow starts. Longer than Clerk's ids today.
 */
const CLERK_USER_ID_MAX_LENGTH = 63 - 'tenant_'.length;
export const CLERK_USER_ID = new RegExp(`^user_[0-9A-Za-z]{1,${CLERK_USER_ID_MAX_LENGTH - 'user_'.length}}$`);

export const clerkUserIdSchema = z
  .string()
  .regex(CLERK_USER_ID, { message: 'must be a Clerk user id: "user_" followed by letters and digits' });

export const isClerkUserId = (value: string): boolean => CLERK_USER_ID.test(value);
