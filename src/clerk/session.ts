import { verifyToken } from '@clerk/backend';

/** How a Clerk session token is verified: networkless with `jwtKey` (PEM), or with JWKS fetched via `secretKey`. */
export interface SessionVerification {
  jwtKey?: string;
  secretKey?: string;
  apiUrl?: string;
  /** Origins allowed in the token's `azp` claim (recommended in production). */
  authorizedParties?: string[];
}

/** The parts of an incoming request the verifier reads: Node's, Express's and the Fetch API's all fit. */
export type RequestLike = { headers: Headers | Record<string, string | string[] | undefined> };

export type SessionCheck =
  { ok: true; userId: string; claims: Record<string, unknown> } | { ok: false; reason: 'missing' | 'invalid' };

/**
 * The signed-in user of a request: its Clerk session token (`Authorization: Bearer …`, or Clerk's `__session`
 * cookie on same-origin requests) verified with @clerk/backend — signature, `exp`/`nbf` and, when configured,
 * `azp`. The one place per-user-db checks who is asking.
 */
export async function verifySession(request: RequestLike, verify: SessionVerification): Promise<SessionCheck> {
  const token = sessionToken(request);
  if (!token) return { ok: false, reason: 'missing' };
  try {
    const claims = await verifyToken(token, {
      jwtKey: verify.jwtKey,
      secretKey: verify.secretKey,
      apiUrl: verify.apiUrl,
      authorizedParties: verify.authorizedParties,
    });
    if (typeof claims.sub !== 'string' || claims.sub === '') return { ok: false, reason: 'invalid' };
    return { ok: true, userId: claims.sub, claims };
  } catch {
    return { ok: false, reason: 'invalid' };
  }
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
