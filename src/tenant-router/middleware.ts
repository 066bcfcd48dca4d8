import {
  verifySession,
  type RequestLike,
  type SessionVerification as ClerkSessionVerification,
} from '../clerk/session.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TenantNotReadyError, TenantPoolExhaustedError, TenantUpgradingError } from './errors.js';
import type { TenantHandle, TenantRouter } from './router.js';

/** The session check (see `verifySession`), and where the session token keeps the user's database record. */
export interface SessionVerification extends ClerkSessionVerification {
  /**
   * The custom session claim that holds the user's public metadata (Clerk dashboard → Sessions → Customize
   * session token: `{ "metadata": "{{user.public_metadata}}" }`). When present, no Clerk API call is needed.
   * Default `metadata`.
   */
  metadataClaim?: string;
}

export type { RequestLike };

export type TenantResolution =
  | { ok: true; userId: string; tenant: TenantHandle }
  | {
      ok: false;
      status: 401 | 409 | 503;
      headers: Record<string, string>;
      body: { error: { code: string; message: string; status?: string } };
    };

/**
 * Resolves the signed-in user's database for any framework: verifies the Clerk session token (Bearer header or
 * Clerk's `__session` cookie) and answers the tenant, or the HTTP answer to send: 401 no or invalid session,
 * 409 `database_not_ready`, 503 `database_upgrading` / `database_busy` (with Retry-After). Other failures throw.
 */
export async function resolveTenant(
  router: TenantRouter,
  request: RequestLike,
  verify: SessionVerification,
): Promise<TenantResolution> {
  const session = await verifySession(request, verify);
  if (!session.ok) {
    return session.reason === 'missing'
      ? refuse(401, 'unauthenticated', 'A Clerk session token is required')
      : refuse(401, 'unauthenticated', 'The session token is invalid or expired');
  }
  const { userId, claims } = session;
  const metadata = claims[verify.metadataClaim ?? 'metadata'] as { database?: unknown } | undefined;
  try {
    return { ok: true, userId, tenant: await router.forUser(userId, metadata?.database) };
  } catch (error) {
    if (error instanceof TenantNotReadyError) {
      return refuse(409, 'database_not_ready', 'Your database is not ready yet', { databaseStatus: error.status });
    }
    if (error instanceof TenantUpgradingError) {
      return refuse(503, 'database_upgrading', 'Your database is being upgraded; try again shortly', {
        retryAfterSeconds: 5,
      });
    }
    if (error instanceof TenantPoolExhaustedError) {
      return refuse(503, 'database_busy', 'Too many requests at once; try again shortly', { retryAfterSeconds: 1 });
    }
    throw error;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in user's database, set by tenantMiddleware. */
    tenant?: TenantHandle;
  }
}

/** Express middleware: `req.tenant` is the signed-in user's database, or the request is answered with the error. */
export function tenantMiddleware(router: TenantRouter, options: { verify: SessionVerification }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    resolveTenant(router, req, options.verify).then((resolution) => {
      if (resolution.ok) {
        req.tenant = resolution.tenant;
        next();
      } else {
        res.status(resolution.status).set(resolution.headers).json(resolution.body);
      }
    }, next);
  };
}

type Refusal = Extract<TenantResolution, { ok: false }>;

function refuse(
  status: Refusal['status'],
  code: string,
  message: string,
  extra: { retryAfterSeconds?: number; databaseStatus?: string } = {},
): Refusal {
  const headers: Record<string, string> = {};
  if (extra.retryAfterSeconds !== undefined) headers['retry-after'] = String(extra.retryAfterSeconds);
  const error =
    extra.databaseStatus === undefined ? { code, message } : { code, message, status: extra.databaseStatus };
  return { ok: false, status, headers, body: { error } };
}
