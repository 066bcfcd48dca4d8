import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** "Fail the next `times` requests matching method and path with `status`." */
export interface Fault {
  /** HTTP method; any when unset. */
  method?: string;
  /** A substring of, or a pattern for, the request path; any when unset. */
  path?: string | RegExp;
  status: number;
  /** Default 1. */
  times?: number;
  /** e.g. `{ 'retry-after': '2' }` or `{ 'x-ratelimit-reset': '1' }` with a 429. */
  headers?: Record<string, string>;
  /** Default `{ message: 'injected fault <status>' }`. */
  body?: unknown;
}

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

const MAX_BODY_BYTES = 1024 * 1024;

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

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    requests.push({ method, path });
    const fault = takeFault(method, path);
    if (fault) {
      return send(res, fault.status, fault.body ?? { message: `injected fault ${fault.status}` }, fault.headers);
    }
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(res, 401, { message: 'invalid API key' });
    }
    try {
      const body = await readJson(req);
      const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
      const answer = await options.route({ method, segments, body });
      send(res, answer.status, answer.body);
    } catch (error) {
      if (error instanceof HttpError) return send(res, error.status, { message: error.message });
      send(res, 500, { message: 'stand-in error' });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setFault: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    clearFaults: () => void faults.splice(0),
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await options.onClose?.();
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  if (body === undefined || status === 204) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
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
