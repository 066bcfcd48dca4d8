import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { distribution } from './report.js';

export interface PaceParams {
  /** Requests per second, evenly spaced. */
  rate: number;
  durationSeconds: number;
  /** At most this many in flight; a request due while all are busy waits for one (as on a connection pool). */
  connections: number;
}

export interface Paced {
  /** From the moment each request was sent to its answer (ms); successful requests only. */
  latencies: number[];
  requests: number;
  /** Answered, but not as a success (an HTTP status outside 2xx). */
  refused: number;
  /** Threw: refused by Temporal, connection errors, timeouts. */
  errors: number;
  /** How long sending took: longer than asked when answers were slow enough to hold every connection busy. */
  seconds: number;
}

/**
 * Sends `send(i)` at an even `rate` for `durationSeconds`, at most `connections` at once. Both sides of the ack
 * scenario go through this, so the receiver and its floor see the same arrivals: one request every 1/rate s,
 * not a burst at the top of each second.
 */
export async function paced(params: PaceParams, send: (i: number) => Promise<boolean>): Promise<Paced> {
  const total = Math.round(params.rate * params.durationSeconds);
  const latencies: number[] = [];
  let refused = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const began = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = began + (i * 1000) / params.rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= params.connections) await Promise.race(inFlight);
    const sent = performance.now();
    const call: Promise<void> = send(i).then(
      (ok) => void (ok ? latencies.push(performance.now() - sent) : refused++),
      () => void errors++,
    );
    const tracked = call.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  return { latencies, requests: total, refused, errors, seconds: (performance.now() - began) / 1000 };
}

/** Several runs of one side taken together. */
export function pooled(runs: readonly Paced[]) {
  const sum = (f: (r: Paced) => number) => runs.reduce((s, r) => s + f(r), 0);
  const requests = sum((r) => r.requests);
  return {
    latency: distribution(runs.flatMap((r) => r.latencies)),
    requests,
    refused: sum((r) => r.refused),
    errors: sum((r) => r.errors),
    achievedRate: Math.round((requests / sum((r) => r.seconds)) * 10) / 10,
  };
}

/** One prepared HTTP request: the same bytes whenever it is sent. */
export interface Prepared {
  headers: Record<string, string>;
  body: string;
}

/**
 * POSTs prepared requests to `url` over at most `connections` keep-alive connections; answers whether the
 * status was 2xx. `close()` ends the connections.
 */
export function httpPoster(url: string, connections: number, timeoutMs: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const post = ({ headers, body }: Prepared) =>
    new Promise<boolean>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300));
        res.on('error', reject);
      });
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
