import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { createClerkClient, type ClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { startClerkStandIn, type ClerkStandIn, type ClerkStandInOptions } from '../../dev/clerk-stand-in/index.js';

export const SECRET_KEY = `sk_test_${randomBytes(12).toString('hex')}`;

/** A stand-in stopped when the file's tests end, and the real `@clerk/backend` client pointed at it. */
export async function standInWithClient(
  options: Partial<ClerkStandInOptions> = {},
): Promise<{ standIn: ClerkStandIn; clerk: ClerkClient }> {
  const standIn = await startClerkStandIn({ secretKey: SECRET_KEY, ...options });
  after(() => standIn.stop());
  return { standIn, clerk: clientFor(standIn.url) };
}

export const clientFor = (apiUrl: string, secretKey = SECRET_KEY) =>
  createClerkClient({ secretKey, apiUrl, telemetry: { disabled: true } });

/** Runs `call`, which must fail with the SDK's ClerkAPIResponseError, and returns that error. */
export async function apiError(call: () => Promise<unknown>) {
  try {
    await call();
  } catch (error) {
    if (isClerkAPIResponseError(error)) return error;
    throw error;
  }
  assert.fail('expected a ClerkAPIResponseError');
}

export const uniqueEmail = () => `u-${randomUUID()}@example.com`;

export const newSigningSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  raw: string;
}

/**
 * A real HTTP endpoint that records each webhook request as it came (raw body and headers) and answers
 * with the next status from `statuses`, then 204.
 */
export async function startWebhookReceiver(statuses: number[] = []) {
  const received: ReceivedWebhook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, raw: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(statuses.shift() ?? 204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/clerk`, received };
}

/** An endpoint that accepts connections and never answers, for attempt timeouts. */
export async function startHangingEndpoint(): Promise<string> {
  const server = createServer(() => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

/** Polls `condition` (every 10 ms) until it holds; fails after `timeoutMs` so a broken run cannot hang. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
