import type { RequestListener } from 'node:http';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { ClerkClient } from '../clerk/client.js';
import { withTemporalDeadline } from '../client/connection.js';
import { checkSearchAttributes, missingSearchAttributesMessage } from '../client/search-attribute-check.js';
import type { WebhookConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { TenantRouter } from '../tenant-router/index.js';
import { demoMode, demoRouter, frontendApiHost } from './demo.js';
import { RETRY_AFTER_SECONDS, sendError, sendRequestError } from './errors.js';
import { notesRouter } from './notes.js';
import { hostAllowList, pageSecurityHeaders } from './page-security.js';
import { statusRoute } from './status.js';
import { isWebhookDelivery, WEBHOOK_PATH, webhookRoute, type WebhookHandler } from './webhook-route.js';

export interface AppDeps {
  config: WebhookConfig;
  temporal: Client;
  logger: Logger;
  /** Used by the demo page's routes; absent when the receiver runs without a Clerk secret key. */
  clerk?: ClerkClient;
  /** The users' own databases, for the demo's notes (DEMO_ACCOUNTS=true). */
  tenants?: TenantRouter;
}

/** The demo page's static files (the same folder from src/webhook and from dist/webhook). */
const PUBLIC_DIR = fileURLToPath(new URL('../../src/webhook/public', import.meta.url));

/**
 * The receiver's request listener: webhook deliveries straight to their handler (webhook-route.ts), everything else
 * (health, readiness, the status API, the demo page and its APIs, 404s) to the Express app.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  const webhook = webhookRoute(deps);
  const app = createApp(deps, webhook);
  return (req, res) => (isWebhookDelivery(req) ? webhook(req, res) : app(req, res));
}

function createApp({ config, temporal, logger, clerk, tenants }: AppDeps, webhook: WebhookHandler) {
  const app = express();
  app.disable('x-powered-by');
  // No ETag on our JSON answers: webhook answers are never revalidated, status answers carry a session and are
  // polled for changes, and hashing each one cost ~10 % of a bare Express request
  // (bench/profiles/2026-11-29-issue15-s5/receiver.md). The demo page's files keep theirs (express.static's own).
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    try {
      await withTemporalDeadline(temporal, () => temporal.workflowService.getSystemInfo({}));
    } catch {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      sendError(res, 503, 'temporal_unavailable', 'Temporal is not reachable');
      return;
    }
    // Without our search attributes every run start fails: not ready, and say why.
    const check = await withTemporalDeadline(temporal, () =>
      checkSearchAttributes(temporal.connection, config.temporal.namespace),
    ).catch(() => undefined); // a key not allowed to list them: nothing to say either way
    if (check?.missing.length) {
      sendError(res, 503, 'search_attributes_missing', missingSearchAttributesMessage(check));
      return;
    }
    res.json({ status: 'ready', temporal: 'reachable' });
  });

  // The fast path (createRequestListener) takes the deliveries as Clerk sends them; this is the path's other
  // spellings Express matches, mounted before the page's security headers as the route always was.
  app.post(WEBHOOK_PATH, webhook);

  // The page and its APIs (everything below): security headers, and with demo accounts on only the allowed hosts.
  const publishableKey = demoMode(config) === 'clerk' ? config.clerk.publishableKey : undefined;
  app.use(pageSecurityHeaders(publishableKey && frontendApiHost(publishableKey)));
  if (config.demo.accounts) app.use(hostAllowList(config.demo.accounts.allowedHosts));

  app.get('/api/users/:userId/database', statusRoute({ config, temporal, logger, clerk }));
  // The demo's notes need both: a way to check sessions and the users' databases.
  const { session } = config;
  const notesTenants = session ? tenants : undefined;
  if (session && notesTenants) app.use(notesRouter(notesTenants, session));

  if (clerk) app.use(demoRouter({ config, clerk, tenants: notesTenants }));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m' }));

  app.use((_req: Request, res: Response) => sendError(res, 404, 'not_found', 'No such route'));

  // Body-parser errors (too large, aborted) and anything unexpected: a JSON answer, never a stack trace.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) =>
    sendRequestError(res, error, { maxBodyBytes: config.webhookMaxBodyBytes, logger }),
  );
  return app;
}
