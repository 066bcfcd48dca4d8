import { verifyToken } from '@clerk/backend';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TenantNotReadyError, TenantPoolExhaustedError, TenantUpgradingError } from './errors.js';
import type { TenantHandle, TenantRouter } from './router.js';

/** How the Clerk session token is verified: networkless with `jwtKey` (PEM), or with JWKS fetched via `secretKey`. */
export interface SessionVerification {
  jwtKey?: string;
  secretKey?: string;
  apiUrl?: string;
  /** Origins allowed in the token's `azp` claim (recommended in production). */
  authorizedParties?: string[];
  /**
   * The custom session claim that holds the user's public metadata (Clerk dashboard → Sessions → Customize
   * session token: `{ "metadata": "{{user.public_metadata}}" }`). When present, no Clerk API call is needed.
   * Default `metadata`.
   */
  metadataClaim?: string;
}

/** The parts of an incoming request the resolver reads: Node's, Express's and the Fetch API's all fit. */
export type RequestLike = { headers: Headers | Record<string, string | string[] | undefined> };

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
  const token = sessionToken(request);
  if (!token) return refuse(401, 'unauthenticated', 'A Clerk session token is required');
  let claims: Record<string, unknown>;
  try {
    claims = await verifyToken(token, {
      jwtKey: verify.jwtKey,
      secretKey: verify.secretKey,
      apiUrl: verify.apiUrl,
      authorizedParties: verify.authorizedParties,
    });
  } catch {
    return refuse(401, 'unauthenticated', 'The session token is invalid or expired');
  }
  const userId = String(claims.sub);
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

function sessionToken(request: RequestLike): string | undefined {
  const header = (name: string) => {
    const { headers } = request;
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return Array.isArray(value) ? value[0] : (value ?? undefined);
  };
  const bearer = /^Bearer\s+(\S+)$/i.exec(header('authorization') ?? '')?.[1];
  if (bearer) return bearer;
  // Same-origin requests from a Clerk front end carry the token in the __session cookie instead.
  for (const part of (header('cookie') ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === '__session' && value.length > 0) return value.join('=');
  }
  return undefined;
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
