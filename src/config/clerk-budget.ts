/**
 * How fast the workers may call Clerk when CLERK_RATE_LIMIT_PER_SECOND / CLERK_BULK_RATE_LIMIT_PER_SECOND are
 * not set. Clerk limits each instance (production 1,000 requests / 10 s, development 100 / 10 s; the key says
 * which: `sk_live_` or `sk_test_`), and the app shares that limit: we take half of it, four fifths of that
 * for sign-ups and deletions, one fifth for bulk writes (fleet migrations), so a rollout never holds up sign-ups.
 */
export interface ClerkBudget {
  instance: 'production' | 'development';
  /** Requests per second the instance allows. */
  instanceLimit: number;
  perUser: number;
  bulk: number;
}

const INSTANCE_LIMIT_PER_SECOND = { production: 100, development: 10 } as const;
const OUR_SHARE = 0.5;
const BULK_SHARE = 0.2;

/** An unknown or missing key counts as development: the lower limit is the safe guess. */
export function clerkBudget(secretKey: string | undefined): ClerkBudget {
  const instance = secretKey?.startsWith('sk_live_') ? 'production' : 'development';
  const instanceLimit = INSTANCE_LIMIT_PER_SECOND[instance];
  const ours = instanceLimit * OUR_SHARE;
  return { instance, instanceLimit, perUser: ours * (1 - BULK_SHARE), bulk: ours * BULK_SHARE };
}
