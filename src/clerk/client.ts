import { createClerkClient, type ClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';

export type { ClerkClient };

/** The Clerk Backend API through the official SDK; `apiUrl` points it at the local stand-in. */
export function createClerkApi(options: { secretKey: string; apiUrl?: string }): ClerkClient {
  return createClerkClient({ secretKey: options.secretKey, apiUrl: options.apiUrl, telemetry: { disabled: true } });
}

/** What per-user-db writes to `publicMetadata.database`. No secrets, ever. */
export interface DatabaseMetadata {
  status: 'ready' | 'deleting' | 'deleted' | 'failed';
  provider: string;
  name: string;
  region: string;
  schemaVersion: number;
  provisionedAt: string;
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
