import { createClerkClient, type ClerkClient, type User } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { clerkUserId } from '../clerk/events.js';
import type { WebhookConfig } from '../config/index.js';
import type { TenantRouter } from '../tenant-router/index.js';

/** The settings the demo page reads. */
export type DemoConfig = Pick<WebhookConfig, 'clerk' | 'demo' | 'temporal'>;

export interface DemoDeps {
  config: DemoConfig;
  clerk: ClerkClient;
  /** The notes' tenant router, when the notes API is mounted (the page then shows its notes panel). */
  tenants?: TenantRouter;
}

/**
 * How the demo page signs people up:
 * - `stand-in`: DEMO_ACCOUNTS=true (allowed only with the local Clerk stand-in, see config/demo.ts), so the page
 *   has its own form and this router creates, lists, signs in as and deletes users through the Backend API;
 * - `clerk`: a real Clerk instance with a publishable key: the page mounts Clerk's hosted sign-up, and the
 *   account routes here stay shut (they would let anyone create or delete real users);
 * - `unavailable`: real Clerk without a publishable key: the page explains what to set.
 */
export type DemoMode = 'stand-in' | 'clerk' | 'unavailable';

export function demoMode(config: Pick<WebhookConfig, 'clerk' | 'demo'>): DemoMode {
  if (config.clerk.publishableKey) return 'clerk';
  if (config.demo.accounts) return 'stand-in';
  return 'unavailable';
}

/** The Frontend API host a publishable key encodes: `pk_test_` + base64("<host>$"). */
export function frontendApiHost(publishableKey: string): string | undefined {
  const match = /^pk_(?:test|live)_([A-Za-z0-9+/=_-]+)$/.exec(publishableKey);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  return /^[a-z0-9.-]+\$$/i.test(decoded) ? decoded.slice(0, -1) : undefined;
}

const signUpBody = z.strictObject({
  email: z.email({ message: 'must be a valid email address' }).max(254),
  name: z.string().trim().min(1, { message: 'is required' }).max(100, { message: 'must be at most 100 characters' }),
  region: z
    .string()
    .trim()
    .max(64)
    .regex(/^[a-z0-9-]*$/, { message: 'must be a region id such as eu-central-1' })
    .optional()
    .transform((v) => (v ? v : undefined)),
});

const signInBody = z.strictObject({ userId: clerkUserId });
const sessionId = z.string().regex(/^sess_[A-Za-z0-9]{1,64}$/);

type ErrorCode = 'invalid_request' | 'invalid_user_id' | 'not_available' | 'clerk_error' | 'not_found';

function fail(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The browser's User-Agent, kept to printable ASCII so it can travel on as a header. */
function browserUserAgent(req: Request): string {
  return (req.get('user-agent') ?? 'unknown').replace(/[^\x20-\x7e]/g, '').slice(0, 512) || 'unknown';
}

function clerkFailure(res: Response, error: unknown): void {
  if (isClerkAPIResponseError(error)) {
    const first = error.errors[0];
    const status = error.status === 404 ? 404 : error.status >= 400 && error.status < 500 ? 400 : 502;
    const message = first?.longMessage ?? first?.message ?? `Clerk answered ${error.status}`;
    return fail(res, status, status === 404 ? 'not_found' : 'clerk_error', message);
  }
  return fail(res, 502, 'clerk_error', 'The Clerk Backend API could not be reached');
}

function userSummary(user: User) {
  const database = (user.publicMetadata as { database?: unknown } | null)?.database ?? null;
  return {
    id: user.id,
    email: user.primaryEmailAddress?.emailAddress ?? user.emailAddresses[0]?.emailAddress ?? null,
    name: [user.firstName, user.lastName].filter(Boolean).join(' ') || null,
    createdAt: new Date(user.createdAt).toISOString(),
    database,
  };
}

/** The demo page's API: `/api/demo/*`. */
export function demoRouter({ config, clerk, tenants }: DemoDeps): express.Router {
  const router = express.Router();
  const mode = demoMode(config);
  const json = express.json({ limit: '8kb', type: 'application/json' });

  router.get('/api/demo/config', (_req, res) => {
    const publishableKey = mode === 'clerk' ? config.clerk.publishableKey : undefined;
    res.json({
      mode,
      provider: config.demo.provider,
      regions: config.demo.regions,
      temporalUiUrl: config.temporal.uiUrl,
      notes: tenants !== undefined,
      clerk: publishableKey ? { publishableKey, frontendApi: frontendApiHost(publishableKey) ?? null } : null,
    });
  });

  // Account routes exist only with DEMO_ACCOUNTS=true against the stand-in; see DemoMode.
  router.use('/api/demo', (_req, res, next) => {
    if (mode === 'stand-in') return next();
    fail(res, 403, 'not_available', 'Account actions here work only with DEMO_ACCOUNTS=true and the Clerk stand-in');
  });

  router.post('/api/demo/sign-up', json, async (req, res) => {
    const body = signUpBody.safeParse(req.body);
    if (!body.success) {
      const problems = body.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      return fail(res, 400, 'invalid_request', problems.join('; '));
    }
    const { email, name, region } = body.data;
    const [firstName, ...rest] = name.split(/\s+/);
    // A client of its own per sign-up so the stand-in's user.created event carries the browser's User-Agent.
    // (@clerk/backend has no way to add X-Forwarded-For; the stand-in sees this server's address instead.)
    const asBrowser = createClerkClient({
      secretKey: config.clerk.secretKey,
      apiUrl: config.clerk.apiUrl,
      userAgent: browserUserAgent(req),
      telemetry: { disabled: true },
    });
    try {
      const user = await asBrowser.users.createUser({
        emailAddress: [email],
        firstName,
        lastName: rest.join(' ') || undefined,
        skipPasswordRequirement: true,
        unsafeMetadata: region ? { region } : {},
      });
      res.status(201).json({ userId: user.id });
    } catch (error) {
      clerkFailure(res, error);
    }
  });

  // Signs the page in as a user: a Clerk session and its session token, which the page sends to the status
  // and notes APIs as `Authorization: Bearer` (they verify it as they would a token from Clerk's front end).
  router.post('/api/demo/sessions', json, async (req, res) => {
    const body = signInBody.safeParse(req.body);
    if (!body.success) return fail(res, 400, 'invalid_user_id', 'userId must be a Clerk user id (user_…)');
    try {
      const session = await clerk.sessions.createSession({ userId: body.data.userId });
      const { jwt } = await clerk.sessions.getToken(session.id);
      res.status(201).json({ sessionId: session.id, userId: session.userId, token: jwt });
    } catch (error) {
      clerkFailure(res, error);
    }
  });

  // Session tokens live a minute, as Clerk's do: the page asks for a fresh one as the old one ages.
  router.post('/api/demo/sessions/:sessionId/tokens', async (req, res) => {
    const id = sessionId.safeParse(req.params.sessionId);
    if (!id.success) return fail(res, 400, 'invalid_request', 'sessionId must be a Clerk session id (sess_…)');
    try {
      const { jwt } = await clerk.sessions.getToken(id.data);
      res.json({ token: jwt });
    } catch (error) {
      clerkFailure(res, error);
    }
  });

  router.get('/api/demo/users', async (_req, res) => {
    try {
      const { data } = await clerk.users.getUserList({ limit: 20, orderBy: '-created_at' });
      res.json({ users: data.map(userSummary) });
    } catch (error) {
      clerkFailure(res, error);
    }
  });

  router.delete('/api/demo/users/:userId', async (req, res) => {
    const userId = clerkUserId.safeParse(req.params.userId);
    if (!userId.success) return fail(res, 400, 'invalid_user_id', 'userId must be a Clerk user id (user_…)');
    try {
      await clerk.users.deleteUser(userId.data);
      // The notes API stops using the remembered location at once, rather than after its cache expires.
      await tenants?.forget(userId.data);
      res.json({ userId: userId.data, deleted: true });
    } catch (error) {
      clerkFailure(res, error);
    }
  });

  return router;
}
