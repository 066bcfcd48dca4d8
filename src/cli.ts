#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { registerMigrateCommand } from './cli/migrate.js';
import { registerOpsCommands } from './cli/ops.js';
import { exitWithError, stopOnSignals } from './cli/process.js';
import { startClerkStandIn } from './clerk/stand-in/index.js';
import { loadConfig } from './config/index.js';
import { createLogger } from './log.js';

/** `.env` in the working directory, never overriding variables already set. */
function environment(): Record<string, string | undefined> {
  loadDotenv({ quiet: true });
  return process.env;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number greater than 0');
  return n;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

const program = new Command('per-user-db')
  .description('One database per user, created the moment they sign up, durably (Clerk → Temporal → PostgreSQL/Xata).')
  .showHelpAfterError();

program
  .command('start')
  .description('the whole local stack: PostgreSQL, Temporal dev server + UI, Clerk stand-in, worker and receiver')
  .action(async () => {
    const { startLocalStack } = await import('./local/stack.js');
    await startLocalStack(environment());
  });

program
  .command('worker')
  .description('run the Temporal worker (provisioning workflows and activities)')
  .action(async () => {
    const { runWorker } = await import('./worker/run.js');
    const worker = await runWorker(loadConfig(environment(), 'worker'));
    stopOnSignals(() => worker.shutdown());
    await worker.done;
  });

program
  .command('webhook')
  .description('run the webhook receiver, status API and demo page')
  .action(async () => {
    const { startWebhookServer } = await import('./webhook/server.js');
    const server = await startWebhookServer(loadConfig(environment(), 'webhook'));
    stopOnSignals(() => server.close());
  });

program
  .command('clerk-stand-in')
  .description("a local stand-in for Clerk's Backend API that sends Svix-signed webhooks (offline mode)")
  .option('--port <port>', 'port to listen on', portNumber, 3100)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--webhook-url <url>', 'where to send user.created / user.deleted (repeatable)', collect, [])
  .option(
    '--retry-time-scale <factor>',
    "multiplies Svix's retry delays (0.001: seconds instead of hours)",
    positiveNumber,
    1,
  )
  .option('--state-file <path>', 'JSON file that keeps the users across restarts (default: in memory only)')
  .action(async (opts: StandInFlags) => {
    const env = environment();
    const secretKey = env.CLERK_SECRET_KEY;
    const signingSecret = env.CLERK_WEBHOOK_SIGNING_SECRET ?? env.CLERK_WEBHOOK_SECRET;
    if (!secretKey) throw new InvalidArgumentError('CLERK_SECRET_KEY must be set: clients send it as the Bearer token');
    if (opts.webhookUrl.length > 0 && !signingSecret) {
      throw new InvalidArgumentError('CLERK_WEBHOOK_SIGNING_SECRET must be set to sign webhooks (whsec_…)');
    }
    const standIn = await startClerkStandIn({
      port: opts.port,
      host: opts.host,
      secretKey,
      retryTimeScale: opts.retryTimeScale,
      stateFile: opts.stateFile,
      webhooks: opts.webhookUrl.map((url) => ({ url, signingSecret: signingSecret! })),
      logger: createLogger(env.LOG_LEVEL ?? 'info', 'clerk-stand-in'),
    });
    process.stdout.write(`Clerk stand-in listening on ${standIn.url}\n`);
    stopOnSignals(() => standIn.stop());
  });

registerMigrateCommand(program, environment);
registerOpsCommands(program, environment);

interface StandInFlags {
  port: number;
  host: string;
  webhookUrl: string[];
  retryTimeScale: number;
  stateFile?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

program.parseAsync(process.argv).catch(exitWithError);
