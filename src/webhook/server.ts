import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createClerkApi } from '../clerk/client.js';
import { createTemporalClient } from '../client/connection.js';
import type { WebhookConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { createTenantRouter } from '../tenant-router/index.js';
import { createApp } from './app.js';
import { tenantBackends } from './tenant-backends.js';

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the receiver on config.port (0 = any free port). */
export async function startWebhookServer(
  config: WebhookConfig,
  options: { logger?: Logger; temporal?: Client; host?: string } = {},
): Promise<WebhookServer> {
  const logger = options.logger ?? createLogger(config.logLevel, 'webhook');
  const temporal = options.temporal ?? createTemporalClient(config);
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
  const app = createApp({ config, temporal, logger, clerk, tenants });
  const host = options.host ?? '0.0.0.0';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url }, 'webhook receiver listening');
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tenants?.close();
      if (!options.temporal) await temporal.connection.close();
    },
  };
}
