import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { createClerkApi } from '../clerk/client.js';
import { PROVIDERS } from '../config/index.js';
import type { TenantDatabase } from '../providers/types.js';
import { TenantRouterConfigError, type TenantNotReadyStatus } from './errors.js';

/** Where a user's database is, as read from `publicMetadata.database`, or why there is none to use. */
export type TenantLocation = { status: 'ready'; database: TenantDatabase } | { status: TenantNotReadyStatus };

/** What the worker writes to `publicMetadata.database` (src/clerk/client.ts), as far as routing needs it. */
const databaseMetadataSchema = z.object({
  status: z.enum(['ready', 'deleting', 'deleted', 'failed']),
  provider: z.enum(PROVIDERS),
  name: z.string().min(1),
  region: z.string().min(1),
});

export interface TenantLocatorOptions {
  /** Reads users through the Clerk Backend API; optional when every call passes the session's metadata. */
  clerk?: { secretKey: string; apiUrl?: string };
  /** How long a user's location is remembered. */
  ttlMs: number;
}

/**
 * Answers where a user's database lives: from the metadata the app passes (read from its session claims), or
 * from the Clerk user, remembered for `ttlMs` (one Backend API call per user and TTL, however many requests).
 */
export function createTenantLocator(options: TenantLocatorOptions) {
  const clerk = options.clerk && createClerkApi(options.clerk);
  const cache = new LRUCache<string, TenantLocation>({
    max: 10_000,
    ttl: options.ttlMs,
    // Concurrent misses for one user share a single Backend API call.
    fetchMethod: async (userId) => {
      if (!clerk) {
        throw new TenantRouterConfigError('Pass the session metadata or give the router Clerk credentials (clerk)');
      }
      try {
        const user = await clerk.users.getUser(userId);
        return locationFrom(user.publicMetadata.database);
      } catch (error) {
        if (isClerkAPIResponseError(error) && error.status === 404) return { status: 'missing' };
        throw error;
      }
    },
  });

  return {
    /** `sessionMetadata`: `publicMetadata.database` as the app read it from the session token's claims. */
    async locate(userId: string, sessionMetadata?: unknown): Promise<TenantLocation> {
      if (sessionMetadata !== undefined) return locationFrom(sessionMetadata);
      const location = await cache.fetch(userId);
      if (!location) throw new Error(`No location for ${userId}`);
      return location;
    },
    forget(userId: string): void {
      cache.delete(userId);
    },
  };
}

function locationFrom(metadata: unknown): TenantLocation {
  // No record yet: the provisioning workflow has not written it.
  if (metadata === undefined || metadata === null) return { status: 'provisioning' };
  const parsed = databaseMetadataSchema.safeParse(metadata);
  if (!parsed.success) {
    throw new Error(`publicMetadata.database is not what per-user-db writes: ${parsed.error.issues[0]?.message}`);
  }
  const { status, provider, name, region } = parsed.data;
  return status === 'ready' ? { status, database: { provider, name, region } } : { status };
}
