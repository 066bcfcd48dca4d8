import { createClerkClient, type ClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { withDeadline, type DatabaseMetadata } from '../domain/index.js';

export type { ClerkClient };
export type { DatabaseMetadata };

/**
 * How long one Backend API call may take: inside the Clerk activities' 15 s start-to-close, so a Clerk that hangs
 * fails the attempt with our own transient error (retried) rather than a timeout, and the receiver's status and
 * demo routes answer.
 */
export const CLERK_REQUEST_DEADLINE_MS = 10_000;

/**
 * The Clerk Backend API through the official SDK; `apiUrl` points it at the local stand-in. Every `users` call
 * fails with ClerkTimeoutError after `deadlineMs`. The SDK takes neither a signal nor a fetch of its own (3.x
 * fetches through the global one), so the request itself is abandoned, not aborted: its socket stays open until
 * Clerk answers or Node's fetch gives up (headers timeout, 5 min).
 */
export function createClerkApi(options: { secretKey: string; apiUrl?: string; deadlineMs?: number }): ClerkClient {
  const clerk = createClerkClient({
    secretKey: options.secretKey,
    apiUrl: options.apiUrl,
    telemetry: { disabled: true },
  });
  const deadlineMs = options.deadlineMs ?? CLERK_REQUEST_DEADLINE_MS;
  const users = new Proxy(clerk.users, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      const what = `users.${String(key)}`;
      return (...args: unknown[]) =>
        withDeadline(
          Promise.resolve(value.apply(target, args)),
          deadlineMs,
          () => new ClerkTimeoutError(`Clerk did not answer ${what} within ${deadlineMs} ms`),
        );
    },
  });
  return new Proxy(clerk, {
    get: (target, key, receiver) => (key === 'users' ? users : Reflect.get(target, key, receiver)),
  });
}

/** Clerk did not answer within the deadline: transient, a retry may find it answering. */
export class ClerkTimeoutError extends Error {
  override name = 'ClerkTimeoutError';
}

export class ClerkUserNotFoundError extends Error {
  override name = 'ClerkUserNotFoundError';
}
export class ClerkAuthError extends Error {
  override name = 'ClerkAuthError';
}
export class ClerkRateLimitError extends Error {
  override name = 'ClerkRateLimitError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** Translates the SDK's errors into ours; the message carries status and Clerk's code, never the key. */
function translate(error: unknown, userId: string): Error {
  if (!isClerkAPIResponseError(error)) return error instanceof Error ? error : new Error(String(error));
  const code = error.errors[0]?.code ?? 'unknown';
  const what = `Clerk answered ${error.status} (${code}) for user ${userId}`;
  if (error.status === 404) return new ClerkUserNotFoundError(what);
  if (error.status === 401 || error.status === 403) return new ClerkAuthError(`${what}: check CLERK_SECRET_KEY`);
  if (error.status === 429) return new ClerkRateLimitError(what, (error.retryAfter ?? 1) * 1000);
  return new Error(what);
}

/** Deep-merges `publicMetadata.database` (PATCH), leaving the app's other metadata alone. */
export async function recordDatabaseMetadata(
  clerk: ClerkClient,
  userId: string,
  database: DatabaseMetadata | null,
): Promise<void> {
  try {
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { database } });
  } catch (error) {
    throw translate(error, userId);
  }
}

/** Sets only `publicMetadata.database.schemaVersion` (a fleet migration moved it); Clerk's deep merge keeps the rest. */
export async function recordSchemaVersion(clerk: ClerkClient, userId: string, schemaVersion: number): Promise<void> {
  try {
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { database: { schemaVersion } } });
  } catch (error) {
    throw translate(error, userId);
  }
}

/**
 * Sets only `publicMetadata.database.status` (deletion and restore change nothing else); answers false when the
 * Clerk user no longer exists, which is the usual case once `user.deleted` has been sent.
 */
export async function recordDatabaseStatusIfUserExists(
  clerk: ClerkClient,
  userId: string,
  status: DatabaseMetadata['status'],
): Promise<boolean> {
  try {
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { database: { status } } });
    return true;
  } catch (error) {
    const translated = translate(error, userId);
    if (translated instanceof ClerkUserNotFoundError) return false;
    throw translated;
  }
}

/** Whether the Clerk user exists right now (a create arriving after a delete must not bring a database back). */
export async function clerkUserExists(clerk: ClerkClient, userId: string): Promise<boolean> {
  try {
    await clerk.users.getUser(userId);
    return true;
  } catch (error) {
    const translated = translate(error, userId);
    if (translated instanceof ClerkUserNotFoundError) return false;
    throw translated;
  }
}

/** One page of Clerk users as reconciliation sees them: ids and database status only, never PII. */
export interface ClerkUserPage {
  users: Array<{ id: string; databaseStatus?: string }>;
  /** Users in the instance right now (Clerk counts them with every list call). */
  totalCount: number;
}

const databaseStatusOf = (publicMetadata: Record<string, unknown>): string | undefined => {
  const database = publicMetadata.database as { status?: unknown } | null | undefined;
  return typeof database?.status === 'string' ? database.status : undefined;
};

/**
 * Users oldest first, `limit` (≤ 500) from `offset`. Oldest first keeps offsets stable while users sign up
 * during a scan (they land at the end); a user deleted mid-scan can shift one user past a page boundary, which
 * the next scan picks up.
 */
export async function listUserPage(
  clerk: ClerkClient,
  page: { offset: number; limit: number },
): Promise<ClerkUserPage> {
  try {
    const { data, totalCount } = await clerk.users.getUserList({ ...page, orderBy: '+created_at' });
    return { users: data.map((u) => ({ id: u.id, databaseStatus: databaseStatusOf(u.publicMetadata) })), totalCount };
  } catch (error) {
    throw translate(error, '(user list)');
  }
}

/** Clerk accepts at most this many `user_id` filters per list request. */
export const MAX_USER_ID_FILTER = 100;

/** Which of these user ids (at most MAX_USER_ID_FILTER) are live Clerk users. */
export async function existingUserIds(clerk: ClerkClient, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  if (userIds.length > MAX_USER_ID_FILTER) throw new Error(`At most ${MAX_USER_ID_FILTER} user ids per lookup`);
  try {
    const { data } = await clerk.users.getUserList({ userId: userIds, limit: userIds.length });
    return data.map((u) => u.id);
  } catch (error) {
    throw translate(error, '(user list)');
  }
}
