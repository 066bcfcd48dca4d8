import { notFound } from './errors.js';
import { newId } from './ids.js';
import type { SessionSigningKey } from './session-keys.js';

/** Clerk's default session token lifetime. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;
/** Clerk backdates `nbf` a little so clocks slightly behind still accept a fresh token. */
const NOT_BEFORE_LEEWAY_SECONDS = 10;
/** Clerk's default session lifetime (7 days). */
const SESSION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

interface SessionRecord {
  id: string;
  clientId: string;
  userId: string;
  createdAt: number;
  expireAt: number;
}

/** The Backend API's Session object (the fields `@clerk/backend`'s `Session.fromJSON` reads). */
function sessionJson(session: SessionRecord) {
  return {
    object: 'session',
    id: session.id,
    client_id: session.clientId,
    user_id: session.userId,
    status: 'active',
    last_active_at: session.createdAt,
    last_active_organization_id: null,
    actor: null,
    expire_at: session.expireAt,
    abandon_at: session.expireAt,
    created_at: session.createdAt,
    updated_at: session.createdAt,
  };
}

export interface SessionIssuerOptions {
  key: SessionSigningKey;
  /** The token's `iss`: Clerk puts the instance's Frontend API URL there; the stand-in its own URL. */
  issuer: () => string;
  /** The token's `azp`: the origin the front end runs on. */
  authorizedParty: string;
}

/**
 * Sessions created through the Backend API (`POST /v1/sessions`) and their session tokens
 * (`POST /v1/sessions/{id}/tokens`). Sessions live in memory; tokens verify across restarts because the key
 * is kept in the state file.
 */
export class SessionIssuer {
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(private readonly options: SessionIssuerOptions) {}

  create(userId: string, now = Date.now()) {
    const session: SessionRecord = {
      id: newId('sess'),
      clientId: newId('client'),
      userId,
      createdAt: now,
      expireAt: now + SESSION_LIFETIME_MS,
    };
    this.sessions.set(session.id, session);
    return sessionJson(session);
  }

  get(sessionId: string) {
    return sessionJson(this.find(sessionId));
  }

  /** Drops the sessions of a deleted user, as Clerk ends them. */
  endSessionsOf(userId: string): void {
    for (const [id, session] of this.sessions) if (session.userId === userId) this.sessions.delete(id);
  }

  token(sessionId: string, lifetimeSeconds = DEFAULT_TOKEN_LIFETIME_SECONDS, now = Date.now()) {
    const session = this.find(sessionId);
    const iat = Math.floor(now / 1000);
    const jwt = this.options.key.signJwt({
      azp: this.options.authorizedParty,
      exp: iat + lifetimeSeconds,
      fva: [0, -1],
      iat,
      iss: this.options.issuer(),
      nbf: iat - NOT_BEFORE_LEEWAY_SECONDS,
      sid: session.id,
      sts: 'active',
      sub: session.userId,
      v: 2,
    });
    return { object: 'token', jwt };
  }

  private find(sessionId: string): SessionRecord {
    const session = this.sessions.get(sessionId);
    if (!session || session.expireAt <= Date.now()) throw notFound(`No session was found with id ${sessionId}.`);
    return session;
  }
}
