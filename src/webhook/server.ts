import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createClerkApi } from '../clerk/client.js';
import { createTemporalClient } from '../client/connection.js';
import { checkSearchAttributes, missingSearchAttributesMessage } from '../client/search-attribute-check.js';
import type { WebhookConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { startMetricsServer } from '../telemetry/metrics-server.js';
import { startTracing } from '../telemetry/tracing.js';
import { webhookRegistry } from '../telemetry/webhook-metrics.js';
import { createTenantRouter } from '../tenant-router/index.js';
import { createRequestListener } from './app.js';
import { tenantBackends } from './tenant-backends.js';

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
  const tracing = await startTracing(config.otlpEndpoint, 'per-user-db-webhook');
  const temporal =
    options.temporal ?? createTemporalClient(config, tracing ? { interceptors: tracing.clientInterceptors() } : {});
  const clerk = config.clerk.secretKey
    ? createClerkApi({ secretKey: config.clerk.secretKey, apiUrl: config.clerk.apiUrl })
    : undefined;
  // The demo's notes live in each user's own database (DEMO_ACCOUNTS=true only).
  const accounts = config.demo.accounts;
  const tenants =
    accounts?.database && config.clerk.secretKey
      ? createTenantRouter({
          ...tenantBackends(accounts.database),
          clerk: { secretKey: config.clerk.secretKey, apiUrl: config.clerk.apiUrl },
        })
      : undefined;
  const server = createServer(createRequestListener({ config, temporal, logger, clerk, tenants }));
  const host = options.host ?? '0.0.0.0';
  const { drainMs } = config;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url }, 'webhook receiver listening');
  void warnOfMissingSearchAttributes(temporal, config.temporal.namespace, logger);
  const { port: metricsPort, host: metricsHost } = config.metrics;
  const metrics =
    metricsPort === undefined
      ? undefined
      : await startMetricsServer({ port: metricsPort, host: metricsHost }, { registry: webhookRegistry, logger });
  return {
    url,
    metricsUrl: metrics?.url,
    /**
     * Graceful: stops accepting connections, lets the requests in flight be answered (at most WEBHOOK_DRAIN_TIME,
     * then their connections are cut), then closes. Clerk retries a delivery that got no answer.
     */
    async close() {
      await metrics?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A keep-alive connection turns idle once its last answer is sent; close it then rather than at the deadline.
      const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), drainMs)));
      try {
        if ((await Promise.race([closed, deadline])) === 'expired') {
          logger.warn({ drainMs }, 'requests still in flight after the drain time: closing their connections');
          server.closeAllConnections();
          await closed;
        }
      } finally {
        clearInterval(closeIdle);
        clearTimeout(timer);
      }
      logger.info('webhook receiver stopped');
      await tenants?.close();
      if (!options.temporal) await temporal.connection.close();
      await tracing?.flush();
    },
  };
}

/** Start-up preflight: the log names missing search attributes and the commands that create them. */
async function warnOfMissingSearchAttributes(temporal: Client, namespace: string, logger: Logger): Promise<void> {
  try {
    const check = await checkSearchAttributes(temporal.connection, namespace);
    if (check.missing.length) logger.error({ ...check, namespace }, missingSearchAttributesMessage(check));
  } catch (error) {
    logger.warn({ err: error }, 'could not list the namespace search attributes (readiness will say)');
  }
}
