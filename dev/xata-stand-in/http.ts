import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { bearerTokenCheck } from '../http/bearer-token.js';
import { readJsonBody } from '../http/json-body.js';
import { jsonRequestListener, listenJson, type JsonAnswer } from '../http/json-server.js';

/** Which requests a fault hits: the next `times` matching method and path. */
interface FaultMatch {
  /** HTTP method; any when unset. */
  method?: string;
  /** A substring of, or a pattern for, the request path; any when unset. */
  path?: string | RegExp;
  /** Default 1. */
  times?: number;
}

/** "Fail the next `times` requests matching method and path with `status`." */
export interface StatusFault extends FaultMatch {
  status: number;
  /** e.g. `{ 'retry-after': '2' }` or `{ 'x-ratelimit-reset': '1' }` with a 429. */
  headers?: Record<string, string>;
  /** Default `{ message: 'injected fault <status>' }`. */
  body?: unknown;
}

/** "Never answer the next `times` matching requests": held open until the client goes away or the stand-in stops. */
export interface HangFault extends FaultMatch {
  hang: true;
}

export type Fault = StatusFault | HangFault;

export interface StandInHandle {
  url: string;
  setFault(fault: Fault): void;
  clearFaults(): void;
  /** Every request seen, in order (method and path), faults included. */
  readonly requests: ReadonlyArray<{ method: string; path: string }>;
  stop(): Promise<void>;
}

/** An answer with a status other than 2xx, thrown by a route. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface JsonRequest {
  method: string;
  /** Decoded path segments, e.g. ['organizations', 'org', 'projects', 'prj', 'branches']. */
  segments: string[];
  body: unknown;
}

export type JsonRoute = (request: JsonRequest) => Promise<{ status: number; body?: unknown }>;

const bodyErrors = {
  tooLarge: () => new HttpError(413, 'request body too large'),
  malformed: () => new HttpError(400, 'request body is not JSON'),
};

/**
 * A small JSON HTTP server for the Xata stand-ins: checks `Authorization: Bearer <apiKey>` (401 otherwise),
 * applies injected faults first, then calls the route. Answers errors as `{ message }`, like Xata.
 */
export async function startJsonServer(options: {
  apiKey: string;
  port?: number;
  route: JsonRoute;
  onClose?: () => Promise<void>;
}): Promise<StandInHandle> {
  const faults: Array<Fault & { left: number }> = [];
  const requests: Array<{ method: string; path: string }> = [];

  const takeFault = (method: string, path: string) => {
    const index = faults.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
    );
    const fault = faults[index];
    if (!fault) return undefined;
    fault.left -= 1;
    if (fault.left <= 0) faults.splice(index, 1);
    return fault;
  };

  const hasApiKey = bearerTokenCheck(options.apiKey);
  const answer = async (req: IncomingMessage): Promise<JsonAnswer> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    requests.push({ method, path });
    const fault = takeFault(method, path);
    if (fault && 'hang' in fault) {
      await once(req.socket, 'close');
      return { status: 499 }; // written to a closed connection: nobody reads it
    }
    if (fault) {
      return {
        status: fault.status,
        body: fault.body ?? { message: `injected fault ${fault.status}` },
        headers: fault.headers,
      };
    }
    if (!hasApiKey(req.headers.authorization)) return { status: 401, body: { message: 'invalid API key' } };
    const body = await readJsonBody(req, bodyErrors);
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    return options.route({ method, segments, body });
  };
  const failure = (error: unknown): JsonAnswer =>
    error instanceof HttpError
      ? { status: error.status, body: { message: error.message } }
      : { status: 500, body: { message: 'stand-in error' } };

  const { url, close } = await listenJson(jsonRequestListener(answer, failure), { port: options.port });
  return {
    url,
    setFault: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    clearFaults: () => void faults.splice(0),
    requests,
    async stop() {
      await close();
      await options.onClose?.();
    },
  };
}

/** Runs `task` after every earlier task with the same key: check-then-create stays atomic per name. */
export function keyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(task);
    tails.set(key, run);
    void run
      .finally(() => {
        if (tails.get(key) === run) tails.delete(key);
      })
      .catch(() => undefined);
    return run;
  };
}
