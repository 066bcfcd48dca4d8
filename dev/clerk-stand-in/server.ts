import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ClerkApiError, internalError, notFound, unauthorized } from './errors.js';
import { sendJson } from './http.js';
import { newTraceId } from './ids.js';
import type { Route } from './routes.js';

function hasBearer(request: IncomingMessage, expected: Buffer): boolean {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function decodePathId(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw notFound('The id in the path is not valid URL encoding.');
  }
}

export interface ServerDeps {
  routes: Route[];
  secretKey: string;
  /** Called for each authenticated Backend API request; throws to inject a fault. */
  beforeBackendApi(): void;
  logger?: Logger;
}

async function answer(deps: ServerDeps, request: IncomingMessage, secret: Buffer): Promise<unknown> {
  if (!hasBearer(request, secret)) {
    throw unauthorized(
      request.headers.authorization
        ? 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.'
        : 'No Clerk Secret Key was sent. Send it as "Authorization: Bearer <secret key>".',
    );
  }
  const url = new URL(request.url ?? '/', 'http://stand-in');
  for (const route of deps.routes) {
    const match = route.method === request.method ? route.path.exec(url.pathname) : null;
    if (!match) continue;
    if (route.backendApi) deps.beforeBackendApi();
    return route.handle({ request, id: decodePathId(match[1]), query: url.searchParams });
  }
  throw notFound(`There is no ${request.method} ${url.pathname} in the Clerk stand-in.`);
}

/** A node:http server answering in Clerk's shapes: JSON bodies, `{ errors, clerk_trace_id }` on failure. */
export function createStandInServer(deps: ServerDeps): Server {
  const secret = Buffer.from(deps.secretKey);
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    answer(deps, request, secret).then(
      (body) => sendJson(response, 200, body),
      (error: unknown) => {
        const failure = error instanceof ClerkApiError ? error : internalError();
        if (!(error instanceof ClerkApiError)) deps.logger?.error({ err: error }, 'Clerk stand-in request failed');
        const headers: Record<string, string> =
          failure.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(failure.retryAfterSeconds) };
        sendJson(response, failure.status, { errors: failure.errors, clerk_trace_id: newTraceId() }, headers);
      },
    );
  });
}
