import type { IncomingMessage, RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { bearerTokenCheck } from '../http/bearer-token.js';
import { jsonRequestListener, type JsonAnswer } from '../http/json-server.js';
import { ClerkApiError, internalError, notFound, unauthorized } from './errors.js';
import { newTraceId } from './ids.js';
import type { Route } from './routes.js';

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
  /** Called for each authenticated Backend API request; throws to inject a fault, or holds the request. */
  beforeBackendApi(): Promise<void>;
  logger?: Logger;
}

async function answer(
  deps: ServerDeps,
  request: IncomingMessage,
  hasSecretKey: (authorization: string | undefined) => boolean,
): Promise<unknown> {
  if (!hasSecretKey(request.headers.authorization)) {
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
    if (route.backendApi) await deps.beforeBackendApi();
    return route.handle({ request, id: decodePathId(match[1]), query: url.searchParams });
  }
  throw notFound(`There is no ${request.method} ${url.pathname} in the Clerk stand-in.`);
}

/** Answers in Clerk's shapes: JSON bodies, `{ errors, clerk_trace_id }` on failure. */
export function standInRequestListener(deps: ServerDeps): RequestListener {
  const hasSecretKey = bearerTokenCheck(deps.secretKey);
  return jsonRequestListener(
    async (request) => ({ status: 200, body: await answer(deps, request, hasSecretKey) }),
    (error): JsonAnswer => {
      const failure = error instanceof ClerkApiError ? error : internalError();
      if (!(error instanceof ClerkApiError)) deps.logger?.error({ err: error }, 'Clerk stand-in request failed');
      return {
        status: failure.status,
        body: { errors: failure.errors, clerk_trace_id: newTraceId() },
        headers: failure.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(failure.retryAfterSeconds) },
      };
    },
  );
}
