#!/usr/bin/env node
/**
 * The dev harness's entry (never shipped): `npm start` runs the whole local stack, and `clerk-stand-in` runs
 * the Clerk stand-in alone (compose's offline mode). The product's commands live in src/cli.ts.
 */
import { Command, InvalidArgumentError } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { exitWithError, stopOnSignals } from '../src/cli/process.js';
import { createLogger } from '../src/log.js';
import { startClerkStandIn } from './clerk-stand-in/index.js';

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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface StandInFlags {
  port: number;
  host: string;
  webhookUrl: string[];
  retryTimeScale: number;
  stateFile?: string;
}

const program = new Command('per-user-db-dev')
  .description('The local dev harness: the whole stack on a laptop with no accounts, and the Clerk stand-in.')
  .showHelpAfterError();

program
  .command('start')
  .description('the whole local stack: PostgreSQL, Temporal dev server + UI, Clerk stand-in, worker and receiver')
  .action(async () => {
    const { startLocalStack } = await import('./local/stack.js');
    await startLocalStack(environment(), { installTemporalRuntime: true });
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
    const webhookSecret = signingSecret ?? '';
    const standIn = await startClerkStandIn({
      port: opts.port,
      host: opts.host,
      secretKey,
      retryTimeScale: opts.retryTimeScale,
      stateFile: opts.stateFile,
      webhooks: opts.webhookUrl.map((url) => ({ url, signingSecret: webhookSecret })),
      logger: createLogger(env.LOG_LEVEL ?? 'info', 'clerk-stand-in'),
    });
    process.stdout.write(`Clerk stand-in listening on ${standIn.url}\n`);
    stopOnSignals(() => standIn.stop());
  });

program.parseAsync(process.argv).catch(exitWithError);
