import type { ServerResponse } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';

/** The receiver's metrics, served on WEBHOOK_METRICS_PORT. */
export const webhookRegistry = new Registry();

const requests = new Counter({
  name: 'per_user_db_webhook_requests_total',
  help: 'Webhook deliveries by outcome (accepted, ignored, invalid_signature, invalid_payload, too_large, unavailable, error) and HTTP status',
  labelNames: ['outcome', 'status'] as const,
  registers: [webhookRegistry],
});
const signatureFailures = new Counter({
  name: 'per_user_db_webhook_signature_failures_total',
  help: 'Webhook deliveries refused for a bad or missing signature, or a timestamp outside the tolerance',
  registers: [webhookRegistry],
});
const startSeconds = new Histogram({
  name: 'per_user_db_webhook_workflow_start_seconds',
  help: 'Time for Temporal to durably accept a start (or find the run already there), by work and outcome',
  labelNames: ['work', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [webhookRegistry],
});

/** The contract's statuses (DESIGN.md, "Webhook") named as outcomes. */
function outcomeOf(status: number): string {
  if (status === 202) return 'accepted';
  if (status === 200) return 'ignored';
  if (status === 401) return 'invalid_signature';
  if (status === 413) return 'too_large';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'invalid_payload';
  return 'error';
}

/** Counts the webhook route's answer once it is sent, whichever branch sent it. */
export function countWebhookRequests(res: ServerResponse): void {
  res.once('finish', () => {
    const outcome = outcomeOf(res.statusCode);
    requests.inc({ outcome, status: String(res.statusCode) });
    if (outcome === 'invalid_signature') signatureFailures.inc();
  });
}

/** Times `start` (one workflow start against Temporal); the outcome is the start's, or `error`. */
export async function timeWorkflowStart<T extends { outcome: string }>(
  work: string,
  start: () => Promise<T>,
): Promise<T> {
  const stop = startSeconds.startTimer({ work });
  try {
    const result = await start();
    stop({ outcome: result.outcome });
    return result;
  } catch (error) {
    stop({ outcome: 'error' });
    throw error;
  }
}
