import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { mapActivityFailures } from '../activities/failures.js';
import { BATCH_HEARTBEAT_EVERY_MS } from '../activities/heartbeat.js';
import { createActivities } from '../activities/index.js';
import { createClerkApi } from '../clerk/client.js';
import { temporalConnectConfig } from '../client/connection.js';
import { startDeprovisioning } from '../client/deprovisioning.js';
import { startProvisioning } from '../client/provisioning.js';
import { checkSearchAttributes, missingSearchAttributesMessage } from '../client/search-attribute-check.js';
import { ensureReconcileSchedule } from '../client/reconcile-schedule.js';
import type { WorkerConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { loadMigrations } from '../migrations/index.js';
import { createProvider } from '../providers/index.js';
import { PermanentProviderError } from '../providers/types.js';
import { startMetricsServer } from '../telemetry/metrics-server.js';
import { sdkLogger } from '../telemetry/temporal-runtime.js';
import { startTracing } from '../telemetry/tracing.js';
import { recordActivityMetrics, workerRegistry, workflowOutcomeSinks } from '../telemetry/worker-metrics.js';
import { configuredWorkflowCode, workflowBundle, type WorkflowCode } from './bundle.js';

export interface RunningWorker {
  /** Resolves when both workers have stopped (after `shutdown()` or a fatal error). */
  done: Promise<void>;
  /** Graceful: in-flight activities finish, then the connection and the provider close. */
  shutdown(): Promise<void>;
}

export interface RunWorkerOptions {
  logger?: Logger;
  /** An existing connection (tests, the local stack); otherwise one is opened from the TEMPORAL_* settings. */
  connection?: NativeConnection;
  /** The workflow code to run; default: the build's bundle beside this module, else the sources. */
  workflowCode?: WorkflowCode;
  /** The Temporal SDK's Prometheus endpoint (from installTemporalRuntime), merged into WORKER_METRICS_PORT's. */
  sdkMetricsUrl?: string;
}

/**
 * Runs three workers on one connection: the main task queue (workflows and database activities), the Clerk
 * task queue and the bulk Clerk queue (fleet migrations), whose activity rates are limited server-side across
 * every worker (Clerk's limits are per instance); sign-ups never wait behind a rollout's writes.
 */
export async function runWorker(config: WorkerConfig, options: RunWorkerOptions = {}): Promise<RunningWorker> {
  const logger = options.logger ?? createLogger(config.logLevel, 'worker');
  const { connectionOptions, namespace } = temporalConnectConfig(config);
  const connection = options.connection ?? (await NativeConnection.connect(connectionOptions));
  const opened: Opened = { closers: options.connection ? [] : [() => connection.close()], workers: [] };
  try {
    return await startWorkers(config, options, { logger, connection, namespace }, opened);
  } catch (error) {
    await Promise.all(opened.workers.map(stopUnstarted));
    await closeInReverse(opened.closers).catch((closeError: unknown) =>
      logger.warn({ err: closeError }, 'closing what a failed start had opened'),
    );
    throw error;
  }
}

/**
 * What start-up has opened so far: closed in reverse once the workers stop, or at once when a later step fails
 * (a bad option, the server gone), so a failed start leaves no connection, pool or worker thread behind.
 */
interface Opened {
  closers: Array<() => Promise<unknown>>;
  /** Created, not yet running. */
  workers: Worker[];
}

async function startWorkers(
  config: WorkerConfig,
  options: RunWorkerOptions,
  { logger, connection, namespace }: { logger: Logger; connection: NativeConnection; namespace: string },
  opened: Opened,
): Promise<RunningWorker> {
  // Preflight: without our search attributes every run start and status upsert fails; refuse to start, and say how.
  const attributes = await checkSearchAttributes(connection, namespace);
  if (attributes.missing.length) {
    logger.error({ ...attributes, namespace }, missingSearchAttributesMessage(attributes));
    throw new Error(`${missingSearchAttributesMessage(attributes)}:\n  ${attributes.fix.join('\n  ')}`);
  }
  const provider = await createProvider(config.provider);
  opened.closers.push(() => provider.close());
  // Refuses to start on a server unsafe for tenants. A server that is down or refuses the credentials is not
  // a reason to stop: every provider call awaits the check again, and activities retry or fail as they do.
  await provider.ready?.().catch((error: unknown) => {
    if (error instanceof PermanentProviderError && error.type === 'InvalidRequest') throw error;
    logger.warn({ err: error }, 'the database provider is not reachable yet');
  });
  const migrations = await loadMigrations(config.migrationsDir);
  const clerk = createClerkApi(config.clerk);
  const { taskQueue, clerkTaskQueue, clerkBulkTaskQueue, maxConcurrentActivities, maxCachedWorkflows } =
    config.temporal;
  const { clerkRatePerSecond, clerkBulkRatePerSecond } = config.temporal;
  // On shutdown, running activities get the grace time to finish; then they are cancelled (and retried elsewhere).
  const shutdown = { shutdownGraceTime: config.shutdown.graceMs, shutdownForceTime: config.shutdown.forceMs };
  const client = new Client({ connection, namespace });
  const starters = {
    // Reconciliation provisions users Clerk still has, so a cancelled or terminated run is no reason to skip them.
    provision: (userId: string) => startProvisioning(client, taskQueue, { userId }, { restartStopped: true }),
    deprovision: (userId: string) => startDeprovisioning(client, taskQueue, { userId, reason: 'orphan' }),
  };
  const activities = createActivities({
    provider,
    migrations,
    clerk,
    temporal: client,
    starters,
    regionByCountry: config.regionByCountry,
  });

  const tracing = await startTracing(config.otlpEndpoint, 'per-user-db-worker');
  if (tracing) opened.closers.push(() => tracing.flush());
  // Tracing outermost, so a RunActivity span covers the whole attempt.
  const activityInterceptors = [
    ...(tracing ? [tracing.activityInterceptors] : []),
    mapActivityFailures,
    recordActivityMetrics,
  ];
  const code = options.workflowCode ?? configuredWorkflowCode(config.workflowBundle);
  logger.info(code, 'prebuilt' in code ? 'workflow code: prebuilt bundle' : 'workflow code: bundling the sources');
  const create = async (workerOptions: WorkerOptions) => {
    const worker = await Worker.create(workerOptions);
    opened.workers.push(worker);
    return worker;
  };
  const main = await create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(code, {
      tracing: tracing !== undefined,
      logger: sdkLogger(logger, config.logLevel, { quietInfo: true }),
    }),
    activities: activities.main,
    // Metrics innermost: they see our adapters' errors before the failure mapping turns them into Temporal's.
    interceptors: { activity: activityInterceptors },
    sinks: { ...workflowOutcomeSinks, ...tracing?.workflowSinks() },
    maxConcurrentActivityTaskExecutions: maxConcurrentActivities,
    // Provisioning's database steps run as local activities, in slots of their own: the same bound, so the admin
    // pool (one connection per slot of either kind) still has a connection for every step.
    maxConcurrentLocalActivityExecutions: maxConcurrentActivities,
    maxCachedWorkflows,
    // A fleet batch heartbeats its tenants' outcomes, and its retry resumes from what the server holds: send
    // them within a second rather than every 8 s (0.8 × the heartbeat timeout), so a dead worker's successor
    // redoes about a second of its tenants (up to two, the periodic heartbeat's, when one tenant is slow). Other
    // activities heartbeat every 2 s anyway.
    maxHeartbeatThrottleInterval: BATCH_HEARTBEAT_EVERY_MS,
    ...shutdown,
  });
  const clerkWorker = await create({
    connection,
    namespace,
    taskQueue: clerkTaskQueue,
    activities: activities.clerk,
    interceptors: { activity: activityInterceptors },
    maxTaskQueueActivitiesPerSecond: clerkRatePerSecond,
    ...shutdown,
  });
  const clerkBulkWorker = await create({
    connection,
    namespace,
    taskQueue: clerkBulkTaskQueue,
    activities: activities.clerk,
    interceptors: { activity: activityInterceptors },
    maxTaskQueueActivitiesPerSecond: clerkBulkRatePerSecond,
    ...shutdown,
  });
  const reconcileSchedule = await ensureReconcileSchedule(client, config);
  const { port: metricsPort, host: metricsHost } = config.metrics;
  const metrics =
    metricsPort === undefined
      ? undefined
      : await startMetricsServer(
          { port: metricsPort, host: metricsHost },
          { registry: workerRegistry, merge: options.sdkMetricsUrl, logger },
        );
  if (metrics) opened.closers.push(() => metrics.close());
  logger.info(
    {
      taskQueue,
      clerkTaskQueue,
      clerkBulkTaskQueue,
      clerkRatePerSecond,
      clerkBulkRatePerSecond,
      namespace,
      provider: provider.name,
      reconcileSchedule,
    },
    'worker started',
  );

  const workers = [main, clerkWorker, clerkBulkWorker];
  const stopAll = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  // If one worker fails, stop the other too before closing what they share: a worker left polling one queue on
  // a closed connection would neither work nor exit.
  const runs = workers.map((w) =>
    w.run().catch((error: unknown) => {
      stopAll();
      throw error;
    }),
  );
  const done = Promise.allSettled(runs).then(async (results) => {
    await closeInReverse(opened.closers);
    logger.info('worker stopped');
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  });
  return {
    done,
    async shutdown() {
      stopAll();
      await done;
    },
  };
}

/**
 * A created Worker holds its threads and a reference on the connection (which then refuses to close) until it
 * has run; the SDK's only way to release them is to run it and stop it at once.
 */
async function stopUnstarted(worker: Worker): Promise<void> {
  const running = worker.run();
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
}

/** Runs every closer, the last opened first, each after the previous one settled; throws the first failure. */
async function closeInReverse(closers: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  let failure: { reason: unknown } | undefined;
  for (const close of [...closers].reverse()) {
    await close().catch((reason: unknown) => (failure ??= { reason }));
  }
  if (failure) throw failure.reason;
}
