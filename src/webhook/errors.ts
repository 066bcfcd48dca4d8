import type { Response } from 'express';

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

/** Every error answer has one shape: `{ error: { code, message } }`, and never a stack trace. */
export function sendError(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}
