import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonAnswer {
  status: number;
  /** No body (and no Content-Type) when undefined. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Writes JSON with `Content-Type` exactly `application/json`: `@clerk/backend` parses a body only then
 * (Express's `res.json()` adds `; charset=utf-8`, and the SDK would hand back a string).
 */
export function sendJson(response: ServerResponse, { status, body, headers = {} }: JsonAnswer): void {
  if (body === undefined || status === 204) {
    response.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** A request listener that sends what `answer` resolves to, or what `failure` makes of what it threw. */
export function jsonRequestListener(
  answer: (request: IncomingMessage) => Promise<JsonAnswer>,
  failure: (error: unknown) => JsonAnswer,
): RequestListener {
  return (request, response) => {
    answer(request).then(
      (answered) => sendJson(response, answered),
      (error: unknown) => sendJson(response, failure(error)),
    );
  };
}

export interface ListeningServer {
  server: Server;
  /** e.g. `http://127.0.0.1:3100` (IPv6 hosts in brackets). */
  url: string;
  port: number;
  /** Stops accepting, drops open connections, resolves once closed. */
  close(): Promise<void>;
}

/** Starts `listener` on `host:port` (port 0: any free one) and resolves once it listens. */
export async function listenJson(
  listener: RequestListener,
  { port = 0, host = '127.0.0.1' }: { port?: number; host?: string } = {},
): Promise<ListeningServer> {
  const server = createServer(listener);
  server.listen(port, host);
  await once(server, 'listening'); // rejects on 'error', e.g. the port is taken
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}
