import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Webhook } from 'svix';
import { z } from 'zod';
import { maskUrl } from '../../src/domain/index.js';
import { newId } from './ids.js';
import type { ClerkWebhookEvent, UserEventType } from './webhook-event.js';

export const webhookEndpointSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  signingSecret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'must be a Svix signing secret (whsec_ followed by base64)' }),
});
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/** Svix's schedule: each attempt waits this long after the previous one failed (the first goes at once). */
export const SVIX_ATTEMPT_DELAYS_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/** Svix gives an endpoint 15 s to answer each attempt. */
export const SVIX_ATTEMPT_TIMEOUT_MS = 15_000;

export interface DeliveryAttempt {
  /** When the attempt was sent (ms since the epoch); it was signed at this time. */
  attemptedAt: number;
  /** The endpoint's HTTP status, or null when there was no answer (see `error`). */
  statusCode: number | null;
  /** Why there was no answer: a network error or the attempt timeout. */
  error: string | null;
  durationMs: number;
}

export type DeliveryState = 'pending' | 'succeeded' | 'failed' | 'cancelled';

/** One message to one endpoint, with every attempt. Holds no signing secret. */
export interface DeliveryRecord {
  /** The `svix-id`: the same on every attempt, so receivers can deduplicate on it. */
  messageId: string;
  eventType: UserEventType;
  userId: string;
  /** The endpoint URL without credentials or query string. */
  endpoint: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  /** When the next attempt is due (ms since the epoch), while pending. */
  nextAttemptAt: number | null;
}

const deliveryAttemptSchema = z.strictObject({
  attemptedAt: z.number().int().nonnegative(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().nonnegative(),
});

/** A delivery still to be attempted, as kept in the state file: enough to resume it after a restart. */
export const pendingDeliverySchema = z.strictObject({
  messageId: z.string().startsWith('msg_'),
  eventType: z.enum(['user.created', 'user.deleted']),
  userId: z.string(),
  /** The endpoint's full URL: a resumed delivery goes to the endpoint configured with this URL, if any. */
  endpointUrl: z.string(),
  payload: z.string(),
  attempts: z.array(deliveryAttemptSchema),
  nextAttemptAt: z.number().int().nonnegative(),
});
export type PendingDelivery = z.infer<typeof pendingDeliverySchema>;

/** Where pending deliveries are kept across restarts (see `UserStateFile`). */
export interface DeliveryPersistence {
  saveDeliveries(pending: readonly PendingDelivery[]): Promise<void>;
}

export interface DeliveryMatch {
  messageId?: string;
  eventType?: UserEventType;
  userId?: string;
}

export interface WebhookDeliveryOptions {
  /** Multiplies Svix's retry delays, e.g. 0.001 turns 5 min into 300 ms. */
  retryTimeScale: number;
  attemptTimeoutMs: number;
  logger?: Logger;
  persistence?: DeliveryPersistence;
}

interface Target {
  endpoint: WebhookEndpoint;
  signer: Webhook;
  redacted: string;
}

interface Delivery {
  record: DeliveryRecord;
  target: Target;
  payload: string;
  timer?: NodeJS.Timeout;
  abort?: AbortController;
}

export function matchesDelivery(record: DeliveryRecord, match: DeliveryMatch): boolean {
  return (
    (match.messageId === undefined || record.messageId === match.messageId) &&
    (match.eventType === undefined || record.eventType === match.eventType) &&
    (match.userId === undefined || record.userId === match.userId)
  );
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return error.message;
}

/**
 * Delivers events the way Svix does for Clerk: one message id per event, signed anew at each attempt,
 * retried on a non-2xx answer, a network error or a timeout, on Svix's schedule (scaled).
 */
export class WebhookDelivery {
  private readonly targets: Target[] = [];
  private readonly all: Delivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly changes = new EventEmitter();
  private stopped = false;

  constructor(
    endpoints: WebhookEndpoint[],
    private readonly options: WebhookDeliveryOptions,
  ) {
    for (const endpoint of endpoints) this.addEndpoint(endpoint);
  }

  /**
   * Schedules deliveries saved by an earlier run, each at its saved time (at once when overdue). A delivery
   * whose endpoint is no longer configured is dropped, as Svix drops messages to a deleted endpoint.
   */
  resume(saved: readonly PendingDelivery[]): void {
    for (const { endpointUrl, payload, nextAttemptAt, ...record } of saved) {
      const target = this.targets.find((t) => t.endpoint.url === endpointUrl);
      if (!target) {
        this.options.logger?.warn({ messageId: record.messageId }, 'saved webhook delivery dropped: endpoint gone');
        continue;
      }
      const delivery: Delivery = {
        target,
        payload,
        record: { ...record, endpoint: target.redacted, state: 'pending', nextAttemptAt },
      };
      this.all.push(delivery);
      this.schedule(delivery, Math.max(0, nextAttemptAt - Date.now()));
    }
  }

  /** Takes an endpoint already validated with `webhookEndpointSchema`. */
  addEndpoint(endpoint: WebhookEndpoint): void {
    this.targets.push({ endpoint, signer: new Webhook(endpoint.signingSecret), redacted: maskUrl(endpoint.url) });
  }

  /** Queues the event for every endpoint; resolves once the deliveries are saved (with `persistence`). */
  send(event: ClerkWebhookEvent): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const messageId = newId('msg');
    const payload = JSON.stringify(event);
    for (const target of this.targets) {
      const delivery: Delivery = {
        target,
        payload,
        record: {
          messageId,
          eventType: event.type,
          userId: event.data.id,
          endpoint: target.redacted,
          state: 'pending',
          attempts: [],
          nextAttemptAt: null,
        },
      };
      this.all.push(delivery);
      this.schedule(delivery);
    }
    return this.persist();
  }

  deliveries(match: DeliveryMatch = {}): DeliveryRecord[] {
    return this.all.filter((d) => matchesDelivery(d.record, match)).map((d) => structuredClone(d.record));
  }

  /** Resolves with the first delivery matching `match` once it is no longer pending. */
  waitForDelivery(match: DeliveryMatch, timeoutMs = 10_000): Promise<DeliveryRecord> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const settled = this.deliveries(match).find((r) => r.state !== 'pending');
        if (!settled) return;
        cleanup();
        resolve(settled);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`No settled webhook delivery matching ${JSON.stringify(match)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.changes.off('change', check);
      };
      this.changes.on('change', check);
      check();
    });
  }

  /** Cancels every pending retry and in-flight attempt; resolves once none is left running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const delivery of this.all) {
      clearTimeout(delivery.timer);
      delivery.abort?.abort(new Error('the stand-in was stopped'));
    }
    await Promise.allSettled([...this.inFlight]);
    for (const delivery of this.all) {
      if (delivery.record.state === 'pending') this.settle(delivery, 'cancelled');
    }
  }

  /** Saves the deliveries still pending; a failed save is logged, and the next change saves them all again. */
  private persist(): Promise<void> {
    const { persistence } = this.options;
    if (!persistence || this.stopped) return Promise.resolve();
    const pending = this.all
      .filter((d) => d.record.state === 'pending')
      .map(({ record, target, payload }) => ({
        messageId: record.messageId,
        eventType: record.eventType,
        userId: record.userId,
        endpointUrl: target.endpoint.url,
        payload,
        attempts: record.attempts,
        nextAttemptAt: record.nextAttemptAt ?? Date.now(),
      }));
    return persistence.saveDeliveries(pending).catch((error: unknown) => {
      this.options.logger?.error({ err: { message: (error as Error).message } }, 'saving webhook deliveries failed');
    });
  }

  private schedule(
    delivery: Delivery,
    delay = (SVIX_ATTEMPT_DELAYS_MS[delivery.record.attempts.length] ?? 0) * this.options.retryTimeScale,
  ): void {
    delivery.record.nextAttemptAt = Date.now() + delay;
    delivery.timer = setTimeout(() => {
      delivery.timer = undefined;
      const running = this.attempt(delivery).finally(() => this.inFlight.delete(running));
      this.inFlight.add(running);
    }, delay);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { record, target } = delivery;
    const abort = new AbortController();
    delivery.abort = abort;
    const timeout = setTimeout(
      () => abort.abort(new Error(`no answer within ${this.options.attemptTimeoutMs} ms`)),
      this.options.attemptTimeoutMs,
    );
    const attemptedAt = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(target.endpoint.url, {
        method: 'POST',
        redirect: 'manual',
        signal: abort.signal,
        body: delivery.payload,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Svix-Webhooks/1.0 (per-user-db Clerk stand-in)',
          'svix-id': record.messageId,
          'svix-timestamp': String(Math.floor(attemptedAt / 1000)),
          'svix-signature': target.signer.sign(record.messageId, new Date(attemptedAt), delivery.payload),
        },
      });
      await response.arrayBuffer();
      statusCode = response.status;
    } catch (failure) {
      error = describeFailure(failure);
    } finally {
      clearTimeout(timeout);
      delivery.abort = undefined;
    }
    record.attempts.push({ attemptedAt, statusCode, error, durationMs: Date.now() - attemptedAt });
    const { messageId, eventType, userId } = record;
    const outcome = {
      messageId,
      eventType,
      userId,
      endpoint: target.redacted,
      attempt: record.attempts.length,
      statusCode,
      error,
    };
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      this.options.logger?.info(outcome, 'webhook delivered');
      this.settle(delivery, 'succeeded');
    } else if (this.stopped) {
      this.settle(delivery, 'cancelled');
    } else if (record.attempts.length >= SVIX_ATTEMPT_DELAYS_MS.length) {
      this.options.logger?.warn(outcome, 'webhook delivery failed for good: no attempts left');
      this.settle(delivery, 'failed');
    } else {
      this.options.logger?.warn(outcome, 'webhook delivery attempt failed; will retry');
      this.schedule(delivery);
      void this.persist();
    }
  }

  private settle(delivery: Delivery, state: DeliveryState): void {
    delivery.record.state = state;
    delivery.record.nextAttemptAt = null;
    // Cancelled means stopped: it stays pending in the file, for the next start to resume.
    if (state !== 'cancelled') void this.persist();
    this.changes.emit('change');
  }
}
