import type { IncomingMessage } from 'node:http';
import type { ZodError } from 'zod';
import { bearerTokenCheck } from '../http/bearer-token.js';
import { readJsonBody } from '../http/json-body.js';
import { jsonRequestListener, listenJson } from '../http/json-server.js';
import { listConnectionsQuery, upsertConnectionBody } from './request-schema.js';
import { createConnectionStore, UnknownReferenceError } from './store.js';

/** The API version Hookdeck's SDK 0.4 targets; its base URL ends with it. */
export const HOOKDECK_API_VERSION = '2024-03-01';

/** Hookdeck's error body: `{ code, status, message, data? }` (APIErrorResponse). */
class HookdeckApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const validationFailed = (error: ZodError) =>
  new HookdeckApiError(
    422,
    'UNPROCESSABLE_ENTITY',
    error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    { issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  );

export interface RecordedRequest {
  method: string;
  /** Path below the version prefix, e.g. `/connections`. */
  path: string;
  query: Record<string, string>;
  /** Request headers except `authorization`. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, as received (secrets included: the stand-in is for tests). */
  body: unknown;
}

export interface HookdeckStandIn {
  /** The base URL to hand to `new HookdeckClient({ environment })` or HOOKDECK_API_URL. */
  url: string;
  readonly requests: ReadonlyArray<RecordedRequest>;
  stop(): Promise<void>;
}

const bodyErrors = {
  tooLarge: () => new HookdeckApiError(413, 'PAYLOAD_TOO_LARGE', 'Request body too large'),
  malformed: () => new HookdeckApiError(400, 'BAD_REQUEST', 'The request body is not valid JSON'),
};

/**
 * A local stand-in for Hookdeck's Admin API (2024-03-01): `PUT /connections` (upsert, body validated
 * strictly against Hookdeck's schema) and `GET /connections`, with Bearer authentication and Hookdeck-shaped
 * answers and errors. It records every request so tests can check what a client sent. It does not ingest
 * or deliver events: the source URL it answers is Hookdeck's format, not a working endpoint.
 */
export async function startHookdeckStandIn(options: { apiKey: string; port?: number }): Promise<HookdeckStandIn> {
  const hasApiKey = bearerTokenCheck(options.apiKey);
  const store = createConnectionStore();
  const requests: RecordedRequest[] = [];
  const prefix = `/${HOOKDECK_API_VERSION}`;

  const answer = async (request: IncomingMessage): Promise<unknown> => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
    const query = Object.fromEntries(url.searchParams);
    const body = await readJsonBody(request, bodyErrors);
    const { authorization: _authorization, ...headers } = request.headers;
    requests.push({ method: request.method ?? 'GET', path: path ?? url.pathname, query, headers, body });
    if (!hasApiKey(request.headers.authorization)) {
      throw new HookdeckApiError(
        401,
        'UNAUTHORIZED',
        'Invalid or missing API key (send "Authorization: Bearer <key>")',
      );
    }
    if (path === '/connections' && request.method === 'PUT') {
      const parsed = upsertConnectionBody.safeParse(body ?? {});
      if (!parsed.success) throw validationFailed(parsed.error);
      try {
        return store.upsert(parsed.data);
      } catch (error) {
        if (error instanceof UnknownReferenceError) throw new HookdeckApiError(404, 'NOT_FOUND', error.message);
        throw error;
      }
    }
    if (path === '/connections' && request.method === 'GET') {
      const parsed = listConnectionsQuery.safeParse(query);
      if (!parsed.success) throw validationFailed(parsed.error);
      const models = store.list(parsed.data).slice(0, parsed.data.limit ?? 100);
      return {
        pagination: { order_by: 'created_at', dir: 'desc', limit: parsed.data.limit ?? 100 },
        count: models.length,
        models,
      };
    }
    throw new HookdeckApiError(404, 'NOT_FOUND', `No ${request.method} ${url.pathname} in the Hookdeck stand-in`);
  };

  const failure = (error: unknown) => {
    const failed =
      error instanceof HookdeckApiError ? error : new HookdeckApiError(500, 'INTERNAL_ERROR', 'Stand-in error');
    const { status, code, message, data } = failed;
    return { status, body: { code, status, message, ...(data ? { data } : {}) } };
  };
  const { url, close } = await listenJson(
    jsonRequestListener(async (request) => ({ status: 200, body: await answer(request) }), failure),
    { port: options.port },
  );
  return {
    url: `${url}${prefix}`,
    requests,
    stop: close,
  };
}
