import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { ClerkClient } from '../clerk/client.js';
import { isTemporalUnavailable, withTemporalDeadline } from '../client/connection.js';
import { startDeprovisioning } from '../client/deprovisioning.js';
import { startProvisioning } from '../client/provisioning.js';
import { checkSearchAttributes, missingSearchAttributesMessage } from '../client/search-attribute-check.js';
import { eventTime, parseClerkEvent } from '../clerk/events.js';
import { traceRequest } from '../telemetry/tracing.js';
import { countWebhookRequests, timeWorkflowStart } from '../telemetry/webhook-metrics.js';
import type { WebhookConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { TenantRouter } from '../tenant-router/index.js';
import { demoMode, demoRouter, frontendApiHost } from './demo.js';
import { sendError } from './errors.js';
import { createWebhookVerifier } from './hookdeck.js';
import { repeatedSvixHeaders } from './verify.js';
import { sharedCountryLookup, type CountryLookup } from './geoip.js';
import { notesRouter } from './notes.js';
import { hostAllowList, pageSecurityHeaders } from './page-security.js';
import { signUpRegionHints } from './region-hints.js';
import { statusRoute } from './status.js';

export interface AppDeps {
  config: WebhookConfig;
  temporal: Client;
  logger: Logger;
  /** Used by the demo page's routes; absent when the receiver runs without a Clerk secret key. */
  clerk?: ClerkClient;
  /** The users' own databases, for the demo's notes (DEMO_ACCOUNTS=true). */
  tenants?: TenantRouter;
}

const RETRY_AFTER_SECONDS = 5;

/** The demo page's static files (the same folder from src/webhook and from dist/webhook). */
const PUBLIC_DIR = fileURLToPath(new URL('../../src/webhook/public', import.meta.url));

export function createApp({ config, temporal, logger, clerk, tenants }: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  // No ETag on our JSON answers: webhook answers are never revalidated, status answers carry a session and are
  // polled for changes, and hashing each one cost ~10 % of a bare Express request
  // (bench/profiles/2026-11-29-issue15-s5/receiver.md). The demo page's files keep theirs (express.static's own).
  app.set('etag', false);
  // Plain Svix, or Hookdeck's signature plus Clerk's when HOOKDECK_WEBHOOK_SECRET is set.
  const verify = createWebhookVerifier({
    svixSecret: config.clerk.webhookSigningSecret,
    hookdeckSecret: config.hookdeck.webhookSecret,
    requireHookdeck: config.hookdeck.required,
    acceptHookdeckWithoutSvix: config.hookdeck.acceptWithoutSvix,
    hookdeckSvixMaxAgeSeconds: config.hookdeck.svixMaxAgeSeconds,
  });
  const geo = openGeoIp(logger);

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

  app.post(
    '/webhooks/clerk',
    countWebhookRequests,
    express.raw({ type: () => true, limit: config.webhookMaxBodyBytes }),
    traceRequest,
    async (req: Request, res: Response) => {
      const svixId = req.header('svix-id');
      const log = logger.child({ svixId, hookdeckEventId: req.header('x-hookdeck-eventid') });
      const repeated = repeatedSvixHeaders(req.headersDistinct);
      if (repeated.length > 0) {
        log.warn({ repeated }, 'webhook refused: repeated header');
        return sendError(res, 400, 'repeated_header', `Each header must appear once: ${repeated.join(', ')} repeated`);
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const verified = verify(raw, req.headers);
      if (!verified.ok) {
        // Which check failed is for our log only: telling the caller would help a forger.
        log.warn({ check: verified.check, reason: verified.reason }, 'webhook refused: signature');
        return sendError(res, 401, 'invalid_signature', 'signature check failed');
      }
      log.debug({ via: verified.via }, 'signature verified');
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        log.warn('webhook refused: body is not JSON');
        return sendError(res, 400, 'invalid_json', 'The body is not valid JSON');
      }
      const parsed = parseClerkEvent(body);
      if (!parsed.ok) {
        log.warn({ problems: parsed.problems }, 'webhook refused: payload');
        return sendError(res, 400, 'invalid_payload', `Invalid event: ${parsed.problems.join('; ')}`);
      }
      const event = parsed.event;
      if (event.type === 'ignored') {
        log.info({ eventType: event.eventType }, 'webhook ignored');
        return res.status(200).json({ status: 'ignored', eventType: event.eventType });
      }
      const userId = event.data.id;
      const { taskQueue } = config.temporal;
      const work = event.type === 'user.created' ? 'provisioning' : 'deprovisioning';
      try {
        const start = () =>
          withTemporalDeadline(temporal, () => {
            if (event.type === 'user.deleted') {
              const { gracePeriodMs } = config.deletion;
              return startDeprovisioning(temporal, taskQueue, {
                userId,
                reason: 'user.deleted',
                gracePeriodMs,
                eventId: svixId,
                eventAt: eventTime(event.timestamp)?.toISOString(),
              });
            }
            const hints = signUpRegionHints(event, geo);
            if (hints.regionIgnored) log.warn({ userId, reason: hints.regionIgnored }, 'sign-up region ignored');
            return startProvisioning(temporal, taskQueue, { userId, ...hints });
          });
        const result = await timeWorkflowStart(work, start);
        log.info({ userId, workflowId: result.workflowId, outcome: result.outcome }, `${work} accepted`);
        return res.status(202).json({ status: result.outcome, workflowId: result.workflowId });
      } catch (error) {
        log.error({ userId, err: errorSummary(error) }, `could not start ${work}`);
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        return isTemporalUnavailable(error)
          ? sendError(res, 503, 'temporal_unavailable', 'Temporal is not reachable; retry later')
          : sendError(res, 503, 'temporal_unavailable', 'The workflow could not be started; retry later');
      }
    },
  );

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
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    if (status === 413) {
      return sendError(res, 413, 'payload_too_large', `The body is larger than ${config.webhookMaxBodyBytes} bytes`);
    }
    // body-parser says 415 for a Content-Encoding or charset it cannot decode: the contract's answer is 400.
    if (status === 415) return sendError(res, 400, 'invalid_payload', 'The body is in an unsupported encoding');
    if (status && status >= 400 && status < 500) return sendError(res, status, 'invalid_payload', 'Bad request');
    logger.error({ err: errorSummary(error) }, 'unhandled error');
    return sendError(res, 500, 'internal_error', 'Internal error');
  });
  return app;
}

/** The offline GeoIP database; without it (a broken install) sign-ups fall back to the default region. */
function openGeoIp(logger: Logger): CountryLookup | undefined {
  try {
    return sharedCountryLookup();
  } catch (error) {
    logger.warn({ err: errorSummary(error) }, 'GeoIP database unavailable: regions will not follow sign-up IPs');
    return undefined;
  }
}

/** Name and message only: stacks and SDK objects stay out of logs. */
function errorSummary(error: unknown): { name: string; message: string; cause?: string } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return { name: error.name, message: error.message, ...(cause ? { cause } : {}) };
}
