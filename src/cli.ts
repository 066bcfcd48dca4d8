#!/usr/bin/env node
import { Command } from 'commander';
import { loadCliEnvironment } from './cli/environment.js';
import { registerHookdeckCommand } from './cli/hookdeck.js';
import { registerMigrateCommand } from './cli/migrate.js';
import { registerOpsCommands } from './cli/ops.js';
import { registerRotateCredentialsCommand } from './cli/rotate-credentials.js';
import { exitWithError, favourMemoryOverSpeed, stopOnSignals } from './cli/process.js';
import { loadConfig } from './config/index.js';
import { createLogger } from './log.js';

const environment = () => loadCliEnvironment();

const program = new Command('per-user-db')
  .description('One database per user, created the moment they sign up, durably (Clerk → Temporal → PostgreSQL/Xata).')
  .showHelpAfterError();

program
  .command('worker')
  .description('run the Temporal worker (provisioning workflows and activities)')
  .action(async () => {
    const { runWorker } = await import('./worker/run.js');
    const { installTemporalRuntime } = await import('./telemetry/temporal-runtime.js');
    const config = loadConfig(environment(), 'worker');
    const logger = createLogger(config.logLevel, 'worker');
    const { sdkMetricsUrl } = await installTemporalRuntime(config, logger, {
      metrics: config.metrics.port !== undefined,
    });
    const worker = await runWorker(config, { logger, sdkMetricsUrl });
    stopOnSignals(() => worker.shutdown());
    await worker.done;
  });

program
  .command('webhook')
  .description('run the webhook receiver, status API and demo page')
  .action(async () => {
    favourMemoryOverSpeed();
    const { startWebhookServer } = await import('./webhook/server.js');
    const server = await startWebhookServer(loadConfig(environment(), 'webhook'));
    stopOnSignals(() => server.close());
  });

registerMigrateCommand(program, environment);
registerOpsCommands(program, environment);
registerRotateCredentialsCommand(program, environment);
registerHookdeckCommand(program, environment);

program.parseAsync(process.argv).catch(exitWithError);
