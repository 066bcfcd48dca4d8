import type { ServerResponse } from 'node:http';
import type { Logger } from '../log.js';

export type ErrorCode =
  | 'invalid_signature'
  | 'repeated_header'
  | 'invalid_json'
  | 'invalid_payload'
  | 'payload_too_large'
  | 'temporal_unavailable'
  | 'search_attributes_missing'
  | 'not_found'
  | 'invalid_user_id'
  | 'internal_error'
  | 'unauthenticated'
  | 'forbidden'
  | 'rate_limited'
  | 'auth_not_configured'
  | 'misdirected_request';

/** What a 503 tells the caller to wait before retrying. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A JSON answer as Express's `res.json` writes it (no ETag: app.ts), on a plain ServerResponse: the webhook route
 * answers without Express.
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Every error answer has one shape: `{ error: { code, message } }`, and never a stack trace. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/**
 * The answer to an error no handler answered: body-parser's (too large, an encoding or charset it cannot decode,
 * aborted) are the caller's, anything else is ours and logged. The webhook route's body reader and the Express
 * app's error handler both answer through this.
 */
export function sendRequestError(
  res: ServerResponse,
  error: unknown,
  { maxBodyBytes, logger }: { maxBodyBytes: number; logger: Logger },
): void {
  const status = (error as { status?: number }).status;
  if (status === 413) return sendError(res, 413, 'payload_too_large', `The body is larger than ${maxBodyBytes} bytes`);
  // body-parser says 415 for a Content-Encoding or charset it cannot decode: the contract's answer is 400.
  if (status === 415) return sendError(res, 400, 'invalid_payload', 'The body is in an unsupported encoding');
  if (status && status >= 400 && status < 500) return sendError(res, status, 'invalid_payload', 'Bad request');
  logger.error({ err: errorSummary(error) }, 'unhandled error');
  sendError(res, 500, 'internal_error', 'Internal error');
}

/** Name and message only: stacks and SDK objects stay out of logs. */
export function errorSummary(error: unknown): { name: string; message: string; cause?: string } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return { name: error.name, message: error.message, ...(cause ? { cause } : {}) };
}
