import { createServer } from 'node:net';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import type { CommonConfig } from '../config/index.js';
import type { Logger } from '../log.js';

const SDK_LEVEL: Record<CommonConfig['logLevel'], LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

const PINO_METHOD = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * A Temporal SDK `Logger` writing through pino (same fields, one JSON line each). `quietInfo` demotes the
 * SDK's info lines to debug: the bundler logs webpack's whole report at info.
 */
export function sdkLogger(logger: Logger, logLevel: CommonConfig['logLevel'], { quietInfo = false } = {}) {
  const child = logger.child({ component: 'temporal-sdk' });
  return new DefaultLogger(SDK_LEVEL[logLevel], ({ level, message, meta }) => {
    const method = quietInfo && level === 'INFO' ? 'debug' : PINO_METHOD[level];
    child[method](meta ?? {}, message);
  });
}

export interface TemporalRuntime {
  /** The SDK's own Prometheus endpoint (loopback only), when metrics are on: merged into ours. */
  sdkMetricsUrl?: string;
}

/**
 * Installs the process-wide Temporal runtime: the SDK's log lines (its TypeScript side and, forwarded, its
 * Rust core) go through our pino logger at LOG_LEVEL, and with `metrics` its Prometheus exporter listens on a
 * free loopback port for our endpoint to merge. Call once, before any Temporal connection is made.
 */
export async function installTemporalRuntime(
  config: Pick<CommonConfig, 'logLevel'>,
  logger: Logger,
  { metrics = false }: { metrics?: boolean } = {},
): Promise<TemporalRuntime> {
  const level = SDK_LEVEL[config.logLevel];
  const sdkMetricsAddress = metrics ? `127.0.0.1:${await freeLoopbackPort()}` : undefined;
  Runtime.install({
    logger: sdkLogger(logger, config.logLevel),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} },
      ...(sdkMetricsAddress ? { metrics: { prometheus: { bindAddress: sdkMetricsAddress } } } : {}),
    },
  });
  return { sdkMetricsUrl: sdkMetricsAddress ? `http://${sdkMetricsAddress}/metrics` : undefined };
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
