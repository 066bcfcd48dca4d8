import { Client, Connection, ServiceError, type ClientInterceptors, type WorkflowHandle } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { CommonConfig } from '../config/index.js';

/**
 * Temporal connection options through @temporalio/envconfig, so one build talks to a dev server, a
 * self-hosted cluster or Temporal Cloud (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*,
 * TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE).
 */
export function temporalConnectConfig(config: CommonConfig) {
  const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars: config.temporal.env });
  return { connectionOptions, namespace: namespace ?? config.temporal.namespace };
}

/**
 * A client whose connection is opened on first use and re-established after outages, so the receiver
 * starts, and answers 503, while Temporal is down.
 */
export function createTemporalClient(
  config: CommonConfig,
  { interceptors }: { interceptors?: ClientInterceptors } = {},
): Client {
  const { connectionOptions, namespace } = temporalConnectConfig(config);
  return new Client({ connection: Connection.lazy(connectionOptions), namespace, interceptors });
}

/** A client connected now: a one-shot command says at once, naming the address, when Temporal is unreachable. */
export async function connectTemporalClient(config: CommonConfig): Promise<Client> {
  const { connectionOptions, namespace } = temporalConnectConfig(config);
  try {
    return new Client({ connection: await Connection.connect(connectionOptions), namespace });
  } catch (error) {
    throw new Error(`Cannot reach Temporal at ${connectionOptions.address}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** How long a webhook waits for Temporal before answering 503; Svix gives an attempt 15 s. */
export const TEMPORAL_DEADLINE_MS = 5_000;

export function withTemporalDeadline<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, fn);
}

/** A query's answer, or `undefined` when no worker answers within the deadline (a worker is down or busy). */
export async function queryIfAnswered<T>(
  client: Client,
  handle: WorkflowHandle,
  query: (handle: WorkflowHandle) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await withTemporalDeadline(client, () => query(handle));
  } catch {
    return undefined;
  }
}

/** Errors meaning "Temporal could not be reached or did not answer in time". */
export function isTemporalUnavailable(error: unknown): boolean {
  if (error instanceof ServiceError) return true;
  const code = (error as { code?: unknown })?.code;
  return code === 14 || code === 4; // gRPC UNAVAILABLE, DEADLINE_EXCEEDED
}

/** The workflow's page in the Temporal Web UI. */
export function temporalUiUrl(config: CommonConfig, workflowId: string): string {
  const ns = encodeURIComponent(config.temporal.namespace);
  return `${config.temporal.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}`;
}
