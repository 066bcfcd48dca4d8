import type { Request, Response } from 'express';
import type { Client } from '@temporalio/client';
import type { ClerkClient } from '../clerk/client.js';
import { verifySession } from '../clerk/session.js';
import { clerkUserId } from '../clerk/events.js';
import { databaseStatus, type DatabaseStatus } from '../client/status.js';
import type { WebhookConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { RETRY_AFTER_SECONDS, sendError } from './errors.js';
import { createRateLimiter } from './rate-limit.js';

export interface StatusRouteDeps {
  config: WebhookConfig;
  temporal: Client;
  logger: Logger;
  /** With it, the version comes from Clerk's record, and a user still answers once Temporal's retention is over. */
  clerk?: ClerkClient;
}

/**
 * What the user sees of their database: the status and steps, without the steps' error text (internal detail
 * such as hosts and SQL errors; operators read it in the CLI, the logs and the Temporal UI).
 */
export function userView(status: DatabaseStatus): DatabaseStatus {
  return { ...status, steps: status.steps.map(({ error: _hidden, ...step }) => step) };
}

/**
 * `GET /api/users/:userId/database`, for the signed-in user only: 401 without a valid Clerk session, 403 for
 * another user's database, 429 (Retry-After) past the per-client rate limit.
 */
export function statusRoute({ config, temporal, logger, clerk }: StatusRouteDeps) {
  const limiter = createRateLimiter({ perMinute: config.statusApi.ratePerMinute });
  return async (req: Request, res: Response) => {
    if (!config.session) {
      return sendError(res, 503, 'auth_not_configured', 'Set CLERK_SECRET_KEY or CLERK_JWT_KEY to use the status API');
    }
    const session = await verifySession(req, config.session);
    const allowed = limiter.take(session.ok ? `user:${session.userId}` : `ip:${req.ip ?? 'unknown'}`);
    if (!allowed.ok) {
      res.setHeader('Retry-After', String(allowed.retryAfterSeconds));
      return sendError(res, 429, 'rate_limited', 'Too many requests; try again later');
    }
    if (!session.ok) {
      return session.reason === 'missing'
        ? sendError(res, 401, 'unauthenticated', 'A Clerk session token is required (Authorization: Bearer …)')
        : sendError(res, 401, 'unauthenticated', 'The session token is invalid or expired');
    }
    const userId = clerkUserId.safeParse(req.params.userId);
    if (!userId.success) return sendError(res, 400, 'invalid_user_id', 'userId must be a Clerk user id (user_…)');
    if (userId.data !== session.userId) {
      return sendError(res, 403, 'forbidden', "A session may read only its own user's database");
    }
    try {
      const status = await databaseStatus(temporal, config, userId.data, clerk);
      if (!status) return sendError(res, 404, 'not_found', `No database workflow for ${userId.data}`);
      return res.json(userView(status));
    } catch (error) {
      logger.error({ userId: userId.data, err: (error as Error).message }, 'status lookup failed');
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return sendError(res, 503, 'temporal_unavailable', 'Temporal is not reachable; retry later');
    }
  };
}
