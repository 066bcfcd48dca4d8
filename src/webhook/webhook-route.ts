import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { isTemporalUnavailable, withTemporalDeadline } from '../client/connection.js';
import { startDeprovisioning } from '../client/deprovisioning.js';
import { startProvisioning } from '../client/provisioning.js';
import { eventTime, parseClerkEvent } from '../clerk/events.js';
import { traceRequest } from '../telemetry/tracing.js';
import { countWebhookRequests, timeWorkflowStart } from '../telemetry/webhook-metrics.js';
import type { Logger } from '../log.js';
import type { AppDeps } from './app.js';
import { errorSummary, RETRY_AFTER_SECONDS, sendError, sendJson, sendRequestError } from './errors.js';
import { sharedCountryLookup, type CountryLookup } from './geoip.js';
import { createWebhookVerifier } from './hookdeck.js';
import { signUpRegionHints } from './region-hints.js';
import { repeatedSvixHeaders } from './verify.js';

export const WEBHOOK_PATH = '/webhooks/clerk';

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Whether the request is a delivery to the webhook as Clerk and Hookdeck send it (`POST /webhooks/clerk`, a query
 * allowed): the server answers these without Express, which cost about half of the route's CPU before the Temporal
 * call (bench/profiles/2026-11-30-issue15-s6/receiver-fastpath.md). Express routes the path's other spellings it
 * matches (a trailing slash, capitals, an absolute URL) to the same handler.
 */
export function isWebhookDelivery(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url;
  return url === WEBHOOK_PATH || (url !== undefined && url.startsWith(`${WEBHOOK_PATH}?`));
}

/**
 * `POST /webhooks/clerk` on node:http's request and answer: the raw body (body-parser's `raw`, as Express mounted
 * it) under the size limit, the signature over its bytes, the event → a workflow start. Counted in the metrics and
 * traced. No page security headers: the answers are JSON for Clerk, not a page.
 */
export function webhookRoute({ config, temporal, logger }: AppDeps): WebhookHandler {
  // Plain Svix, or Hookdeck's signature plus Clerk's when HOOKDECK_WEBHOOK_SECRET is set.
  const verify = createWebhookVerifier({
    svixSecret: config.clerk.webhookSigningSecret,
    hookdeckSecret: config.hookdeck.webhookSecret,
    requireHookdeck: config.hookdeck.required,
    acceptHookdeckWithoutSvix: config.hookdeck.acceptWithoutSvix,
    hookdeckSvixMaxAgeSeconds: config.hookdeck.svixMaxAgeSeconds,
  });
  const geo = openGeoIp(logger);
  const readBody = express.raw({ type: () => true, limit: config.webhookMaxBodyBytes });
  const failed = (res: ServerResponse, error: unknown) =>
    sendRequestError(res, error, { maxBodyBytes: config.webhookMaxBodyBytes, logger });

  async function handle(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> {
    const svixId = header(req, 'svix-id');
    const log = logger.child({ svixId, hookdeckEventId: header(req, 'x-hookdeck-eventid') });
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
      return sendJson(res, 200, { status: 'ignored', eventType: event.eventType });
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
      return sendJson(res, 202, { status: result.outcome, workflowId: result.workflowId });
    } catch (error) {
      log.error({ userId, err: errorSummary(error) }, `could not start ${work}`);
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return isTemporalUnavailable(error)
        ? sendError(res, 503, 'temporal_unavailable', 'Temporal is not reachable; retry later')
        : sendError(res, 503, 'temporal_unavailable', 'The workflow could not be started; retry later');
    }
  }

  return (req, res) => {
    countWebhookRequests(res);
    readBody(req, res, (error?: unknown) => {
      if (error) return failed(res, error);
      traceRequest(WEBHOOK_PATH, req, res, () => handle(req, res)).catch((unexpected: unknown) => {
        // As Express did for a handler that threw: a 500 if nothing was sent yet, else the connection is cut.
        if (res.headersSent) res.destroy();
        else failed(res, unexpected);
      });
    });
  };
}

/** A header's value: Node joins a repeated one (other than Set-Cookie) into one string. */
function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
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
