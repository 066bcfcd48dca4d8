import { Client, Connection } from '@temporalio/client';
import { ServiceError } from '@temporalio/client';
import type { CommonConfig } from '../config/index.js';
import { temporalConnectConfig } from '../worker/connection.js';

/**
 * A client whose connection is opened on first use and re-established after outages, so the receiver
 * starts, and answers 503, while Temporal is down.
 */
export function createTemporalClient(config: CommonConfig): Client {
  const { connectionOptions, namespace } = temporalConnectConfig(config);
  return new Client({ connection: Connection.lazy(connectionOptions), namespace });
}

/** How long a webhook waits for Temporal before answering 503; Svix gives an attempt 15 s. */
export const TEMPORAL_DEADLINE_MS = 5_000;

export function withTemporalDeadline<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, fn);
}

/** Errors meaning "Temporal could not be reached or did not answer in time". */
export function isTemporalUnavailable(error: unknown): boolean {
  if (error instanceof ServiceError) return true;
  const code = (error as { code?: unknown })?.code;
  return code === 14 || code === 4; // gRPC UNAVAILABLE, DEADLINE_EXCEEDED
}
