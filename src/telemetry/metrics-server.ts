import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { MetricsSettings } from '../config/index.js';
import type { Logger } from '../log.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  registry: Registry;
  /** Another Prometheus endpoint whose text is appended (the Temporal SDK's, on loopback). */
  merge?: string;
  logger: Logger;
}

/**
 * `GET /metrics` on a listener of its own, so metrics never share the public port. A merged endpoint that
 * cannot be read leaves its part out (and says so in `per_user_db_sdk_metrics_up`) rather than failing the scrape.
 */
export async function startMetricsServer(
  settings: Required<MetricsSettings>,
  { registry, merge, logger }: MetricsServerOptions,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'Metrics are at GET /metrics' } }));
      return;
    }
    void (async () => {
      let text = await registry.metrics();
      if (merge) text += await mergedText(merge, logger);
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    })().catch((error: unknown) => {
      logger.error({ err: { message: (error as Error).message } }, 'metrics scrape failed');
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal_error', message: 'Metrics could not be collected' } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/metrics`;
  logger.info({ url }, 'metrics listening');
  return { url, close: () => closeServer(server) };
}

async function mergedText(url: string, logger: Logger): Promise<string> {
  const up = (value: 0 | 1) =>
    `# HELP per_user_db_sdk_metrics_up Whether the Temporal SDK's metrics could be read for this scrape\n` +
    `# TYPE per_user_db_sdk_metrics_up gauge\nper_user_db_sdk_metrics_up ${value}\n`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return `${up(1)}${await res.text()}`;
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'Temporal SDK metrics unavailable for this scrape');
    return up(0);
  }
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
