import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createClerkApi } from '../clerk/client.js';
import { createTemporalClient } from '../client/connection.js';
import type { WebhookConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { startMetricsServer } from '../telemetry/metrics-server.js';
import { clientTracingInterceptors, startTracing } from '../telemetry/tracing.js';
import { webhookRegistry } from '../telemetry/webhook-metrics.js';
import { createApp } from './app.js';

export interface WebhookServer {
  url: string;
  /** The receiver's Prometheus endpoint, when WEBHOOK_METRICS_PORT is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** Starts the receiver on config.port (0 = any free port). */
export async function startWebhookServer(
  config: WebhookConfig,
  options: { logger?: Logger; temporal?: Client; host?: string } = {},
): Promise<WebhookServer> {
  const logger = options.logger ?? createLogger(config.logLevel, 'webhook');
  const tracing = startTracing(config.otlpEndpoint, 'per-user-db-webhook');
  const temporal =
    options.temporal ?? createTemporalClient(config, tracing ? { interceptors: clientTracingInterceptors() } : {});
  const clerk = config.clerk.secretKey
    ? createClerkApi({ secretKey: config.clerk.secretKey, apiUrl: config.clerk.apiUrl })
    : undefined;
  const app = createApp({ config, temporal, logger, clerk });
  const host = options.host ?? '0.0.0.0';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url }, 'webhook receiver listening');
  const { port: metricsPort, host: metricsHost } = config.metrics;
  const metrics =
    metricsPort === undefined
      ? undefined
      : await startMetricsServer({ port: metricsPort, host: metricsHost }, { registry: webhookRegistry, logger });
  return {
    url,
    metricsUrl: metrics?.url,
    async close() {
      await metrics?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.temporal) await temporal.connection.close();
      await tracing?.flush();
    },
  };
}
