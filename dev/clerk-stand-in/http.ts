import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, payloadTooLarge } from './errors.js';

const MAX_BODY_BYTES = 1024 * 1024;

/** The request body as JSON; an empty body is `{}` (the SDK sends none when there are no parameters). */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('malformed_request', 'The request body is not valid JSON.');
  }
}

/**
 * Writes JSON with `Content-Type` exactly `application/json`: `@clerk/backend` parses a body only then
 * (Express's `res.json()` adds `; charset=utf-8`, and the SDK would hand back a string).
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
