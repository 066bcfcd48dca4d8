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
