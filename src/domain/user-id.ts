import { z } from 'zod';

/**
 * A Clerk user id: `user_` followed by base62 (Clerk issues 27 characters, a KSUID; see
 * /work/shared/clerk-examples). Case matters (`user_aB` and `user_ab` are different users). The length is capped so
 * that nothing huge reaches a workflow id, a log line or a database name, yet a longer id Clerk might issue later
 * is still accepted.
 */
export const CLERK_USER_ID = /^user_[0-9A-Za-z]{1,64}$/;

export const clerkUserIdSchema = z
  .string()
  .regex(CLERK_USER_ID, { message: 'must be a Clerk user id: "user_" followed by letters and digits' });

export const isClerkUserId = (value: string): boolean => CLERK_USER_ID.test(value);
