/**
 * How fast the workers may call Clerk when CLERK_RATE_LIMIT_PER_SECOND / CLERK_BULK_RATE_LIMIT_PER_SECOND are
 * not set. Clerk limits each instance (production 1,000 requests / 10 s, development 100 / 10 s; the key says
 * which: `sk_live_` or `sk_test_`), and the app shares that limit: we take half of it, four fifths of that
 * for sign-ups and deletions, one fifth for bulk writes (fleet migrations), so a rollout never holds up sign-ups.
 * The two queues' rates add up to the total: Clerk counts every request of the fleet against one limit.
 */
export interface ClerkBudget {
  instance: 'production' | 'development';
  /** Requests per second the instance allows. */
  instanceLimit: number;
  /** Requests per second for the whole fleet, both Clerk task queues together. */
  total: number;
  /** The part of `total` the bulk queue gets unless CLERK_BULK_RATE_LIMIT_PER_SECOND says otherwise. */
  bulkShare: number;
}

const INSTANCE_LIMIT_PER_SECOND = { production: 100, development: 10 } as const;
const OUR_SHARE = 0.5;
const BULK_SHARE = 0.2;

/** An unknown or missing key counts as development: the lower limit is the safe guess. */
export function clerkBudget(secretKey: string | undefined): ClerkBudget {
  const instance = secretKey?.startsWith('sk_live_') ? 'production' : 'development';
  const instanceLimit = INSTANCE_LIMIT_PER_SECOND[instance];
  return { instance, instanceLimit, total: instanceLimit * OUR_SHARE, bulkShare: BULK_SHARE };
}
