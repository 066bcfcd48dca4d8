import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mapActivityFailures } from '../activities/failures.js';
import { createActivities } from '../activities/index.js';
import { createClerkApi } from '../clerk/client.js';
import { temporalConnectConfig } from '../client/connection.js';
import { startDeprovisioning } from '../client/deprovisioning.js';
import { startProvisioning } from '../client/provisioning.js';
import { ensureReconcileSchedule } from '../client/reconcile-schedule.js';
import type { WorkerConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { loadMigrations } from '../migrations/index.js';
import { createProvider } from '../providers/index.js';
import { workflowBundle } from './bundle.js';

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
  const provider = await createProvider(config.provider);
  const migrations = await loadMigrations(config.migrationsDir);
  const clerk = createClerkApi(config.clerk);
  const { taskQueue, clerkTaskQueue, clerkBulkTaskQueue, maxConcurrentActivities } = config.temporal;
  const { clerkRatePerSecond, clerkBulkRatePerSecond } = config.temporal;
  const client = new Client({ connection, namespace });
  const starters = {
    provision: (userId: string) => startProvisioning(client, taskQueue, { userId }),
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

  const main = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: activities.main,
    interceptors: { activity: [mapActivityFailures] },
    maxConcurrentActivityTaskExecutions: maxConcurrentActivities,
  });
  const clerkWorker = await Worker.create({
    connection,
    namespace,
    taskQueue: clerkTaskQueue,
    activities: activities.clerk,
    interceptors: { activity: [mapActivityFailures] },
    maxTaskQueueActivitiesPerSecond: clerkRatePerSecond,
  });
  const clerkBulkWorker = await Worker.create({
    connection,
    namespace,
    taskQueue: clerkBulkTaskQueue,
    activities: activities.clerk,
    interceptors: { activity: [mapActivityFailures] },
    maxTaskQueueActivitiesPerSecond: clerkBulkRatePerSecond,
  });
  const reconcileSchedule = await ensureReconcileSchedule(client, config);
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
    await provider.close();
    if (!options.connection) await connection.close();
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
