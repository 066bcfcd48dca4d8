import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { z } from 'zod';
import { clerkUserId } from '../clerk/events.js';
import { loadConfig, type Config } from '../config/index.js';
import { latestVersion, loadMigrations, migrationFile } from '../migrations/index.js';
import { temporalUiUrl } from '../webhook/status.js';
import { temporalConnectConfig } from '../worker/connection.js';
import { fleetMigration, migrateTenantDatabase } from '../workflows/fleet-migration.js';
import {
  cancelFleetMigration,
  describeProgress,
  FLEET_DEFAULTS,
  FLEET_LIMITS,
  fleetMigrationWorkflowId,
  fleetProgressQuery,
  pauseFleetMigration,
  resumeFleetMigration,
  tenantMigrationWorkflowId,
  type FleetProgress,
  type FleetReport,
} from '../workflows/fleet-migration-state.js';
import { STATUS } from '../workflows/search-attributes.js';
import {
  createProgressDisplay,
  formatReport,
  formatTenantResult,
  progressBar,
  reportExitCode,
} from './migrate-display.js';

export type Environment = () => Record<string, string | undefined>;

const POLL_MS = 1_000;
/** How long a progress query may take before the display says it is waiting for a worker. */
const QUERY_DEADLINE_MS = 5_000;

const whole = (name: string, [min, max]: readonly [number, number]) =>
  z.coerce
    .number({ message: `--${name} must be a number` })
    .int({ message: `--${name} must be a whole number` })
    .min(min, { message: `--${name} must be at least ${min}` })
    .max(max, { message: `--${name} must be at most ${max}` });

const startOptionsSchema = z.object({
  concurrency: whole('concurrency', FLEET_LIMITS.concurrency),
  pageSize: whole('page-size', FLEET_LIMITS.pageSize),
  maxAttempts: whole('max-attempts', FLEET_LIMITS.maxAttempts),
  maxFailures: whole('max-failures', FLEET_LIMITS.maxFailures),
  historyEvents: whole('history-events', FLEET_LIMITS.maxHistoryEvents),
  clerk: z.boolean(),
  // The same rule as every other command and the webhook, so no id they refuse reaches a workflow from here.
  user: clerkUserId.optional(),
  detach: z.boolean().default(false),
  json: z.boolean().default(false),
});
type StartOptions = z.output<typeof startOptionsSchema>;

const viewOptionsSchema = z.object({ watch: z.boolean().default(false), json: z.boolean().default(false) });

export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const named = parsed.error.issues.map((i) =>
    i.message.startsWith('--') ? i.message : `--${String(i.path[0])} ${i.message}`,
  );
  throw new InvalidArgumentError(named.join('; '));
}

export interface Session {
  config: Config;
  client: Client;
  workflowId: string;
}

/** Connects to Temporal (TEMPORAL_* settings, as the worker does), runs `work`, and closes the connection. */
export async function withTemporal(environment: Environment, work: (session: Session) => Promise<void>): Promise<void> {
  const config = loadConfig(environment(), 'client');
  const { connectionOptions, namespace } = temporalConnectConfig(config);
  let connection: Connection;
  try {
    connection = await Connection.connect(connectionOptions);
  } catch (error) {
    throw new Error(`Cannot reach Temporal at ${connectionOptions.address}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const client = new Client({ connection, namespace });
    await work({ config, client, workflowId: fleetMigrationWorkflowId(config.temporal.taskQueue) });
  } finally {
    await connection.close();
  }
}

/** The newest migration of the release this CLI belongs to: the version the rollout brings every tenant to. */
async function targetOf(config: Config): Promise<{ version: number; file: string }> {
  const migrations = await loadMigrations(config.migrationsDir);
  const newest = migrations.at(-1);
  if (!newest) throw new Error(`No migration files in ${config.migrationsDir} (MIGRATIONS_DIR): nothing to roll out`);
  return { version: latestVersion(migrations), file: migrationFile(newest) };
}

async function queryProgress(client: Client, handle: WorkflowHandle): Promise<FleetProgress | undefined> {
  try {
    return await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(fleetProgressQuery));
  } catch {
    return undefined; // no worker to answer right now; the display says so
  }
}

/**
 * Shows live progress until the rollout ends and returns its report. Ctrl-C only detaches: the rollout goes
 * on in Temporal.
 */
async function watch(client: Client, handle: WorkflowHandle<typeof fleetMigration>): Promise<FleetReport> {
  const display = createProgressDisplay(progressBar);
  const detach = () => {
    display.stop();
    process.stderr.write(
      'Detached; the rollout goes on in Temporal. Watch it with `per-user-db migrate status --watch`, ' +
        'stop it with `per-user-db migrate pause` or `cancel`.\n',
    );
    process.exit(130);
  };
  process.once('SIGINT', detach);
  let settled = false;
  const result = handle.result().finally(() => {
    settled = true;
  });
  try {
    while (!settled) {
      display.update(await queryProgress(client, handle));
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, POLL_MS))]);
    }
    return await result;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      throw new Error(`The rollout failed: ${error.cause?.message ?? error.message}`, { cause: error });
    }
    throw error;
  } finally {
    display.stop();
    process.off('SIGINT', detach);
  }
}

function printReport(report: FleetReport, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  process.exitCode = reportExitCode(report);
}

async function startRollout({ config, client, workflowId }: Session, options: StartOptions): Promise<void> {
  const target = await targetOf(config);
  let handle: WorkflowHandle<typeof fleetMigration>;
  try {
    handle = await client.workflow.start(fleetMigration, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [
        {
          targetVersion: target.version,
          concurrency: options.concurrency,
          pageSize: options.pageSize,
          maxAttempts: options.maxAttempts,
          maxFailures: options.maxFailures,
          maxHistoryEvents: options.historyEvents,
          updateClerk: options.clerk,
        },
      ],
      // One rollout at a time: a second start while one is open is refused; a new one after it closed is fine.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [{ key: STATUS, value: 'running' }],
      staticSummary: `Schema rollout to v${target.version} (${target.file})`,
      staticDetails:
        `Every tenant database to schema v${target.version}: ${options.concurrency} at a time, ` +
        `${options.maxAttempts} attempts per tenant, Clerk schemaVersion ${options.clerk ? 'updated' : 'left alone'}.`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `A fleet migration is already running (workflow ${workflowId}); only one runs at a time. Watch it with ` +
          '`per-user-db migrate status --watch`, or pause, resume or cancel it.',
        { cause: error },
      );
    }
    throw error;
  }
  process.stderr.write(
    `Rolling out schema v${target.version} (${target.file}) to every tenant: ${temporalUiUrl(config, workflowId)}\n`,
  );
  if (options.detach) return;
  printReport(await watch(client, handle), options.json);
}

async function migrateOneTenant({ config, client }: Session, userId: string, options: StartOptions): Promise<void> {
  const target = await targetOf(config);
  const handle = await client.workflow.start(migrateTenantDatabase, {
    workflowId: tenantMigrationWorkflowId(userId),
    taskQueue: config.temporal.taskQueue,
    args: [{ userId, targetVersion: target.version, maxAttempts: options.maxAttempts, updateClerk: options.clerk }],
    // Asking twice while a retry runs attaches to it.
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Schema migration of ${userId} to v${target.version}`,
  });
  try {
    const result = await handle.result();
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatTenantResult(result)}\n`);
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    process.stderr.write(`${userId}: ${error.cause?.message ?? error.message}\n`);
    process.exitCode = 1;
  }
}

/** The rollout's handle when one is open; a clear error otherwise. */
async function runningRollout({ client, workflowId }: Session): Promise<WorkflowHandle<typeof fleetMigration>> {
  const handle = client.workflow.getHandle<typeof fleetMigration>(workflowId);
  try {
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') return handle;
    throw new Error(`No fleet migration is running (the last one is ${status.name.toLowerCase()})`);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new Error('No fleet migration is running (none ever ran)', { cause: error });
    }
    throw error;
  }
}

async function showStatus(session: Session, options: z.output<typeof viewOptionsSchema>): Promise<void> {
  const handle = session.client.workflow.getHandle<typeof fleetMigration>(session.workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      process.stdout.write('No fleet migration has run yet.\n');
      return;
    }
    throw error;
  }
  if (status === 'COMPLETED') return printReport(await handle.result(), options.json);
  if (status !== 'RUNNING') throw new Error(`The last fleet migration ended ${status.toLowerCase()}`);
  if (options.watch) return printReport(await watch(session.client, handle), options.json);
  const progress = await queryProgress(session.client, handle);
  if (!progress) throw new Error('The fleet migration is running, but no worker answered: is a worker up?');
  process.stdout.write(options.json ? `${JSON.stringify(progress, null, 2)}\n` : `${describeProgress(progress)}\n`);
}

/** pause / resume / cancel: an update, so the answer is the rollout's state once the workflow took it. */
async function control(
  session: Session,
  update: typeof pauseFleetMigration,
  done: (progress: FleetProgress) => string,
): Promise<void> {
  const handle = await runningRollout(session);
  try {
    const progress = await handle.executeUpdate(update);
    process.stdout.write(`${done(progress)}\n${describeProgress(progress)}\n`);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      throw new Error(error.cause?.message ?? error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * `per-user-db migrate` (start a rollout and watch it), `migrate --user <id>` (one tenant now), and
 * `migrate status|pause|resume|cancel`.
 */
export function registerMigrateCommand(program: Command, environment: Environment = () => process.env): void {
  const migrate = program
    .command('migrate')
    .description(
      'roll the tenant schema (MIGRATIONS_DIR) out to every tenant database as a durable Temporal workflow, ' +
        'showing progress until it is done (exit code 1 when any tenant failed)',
    )
    .option('--concurrency <n>', 'tenants migrated at once', String(FLEET_DEFAULTS.concurrency))
    .option('--max-attempts <n>', 'attempts per tenant on transient errors', String(FLEET_DEFAULTS.maxAttempts))
    .option(
      '--max-failures <n>',
      'pause by itself after this many failed tenants (0: never)',
      String(FLEET_DEFAULTS.maxFailures),
    )
    .option('--page-size <n>', 'tenants listed from the provider per page', String(FLEET_DEFAULTS.pageSize))
    .addOption(
      new Option('--history-events <n>', 'continue-as-new after this many history events')
        .default(String(FLEET_DEFAULTS.maxHistoryEvents))
        .hideHelp(),
    )
    .option('--no-clerk', "leave the Clerk users' publicMetadata.database.schemaVersion alone")
    .option('--user <userId>', "migrate one user's database now (retry a failed tenant)")
    .option('--detach', 'start the rollout and return at once')
    .option('--json', 'print the final report as JSON on stdout')
    .action(async (raw: unknown) => {
      const options = parseOptions(startOptionsSchema, raw);
      await withTemporal(environment, (session) =>
        options.user ? migrateOneTenant(session, options.user, options) : startRollout(session, options),
      );
    });

  migrate
    .command('status')
    .description('the running rollout’s progress, or the last one’s report')
    .option('--watch', 'show live progress until the rollout ends')
    .option('--json', 'print JSON on stdout')
    // `--json` after `status` is claimed by `migrate` itself: read the options of both.
    .action(async (_raw: unknown, command: Command) => {
      const options = parseOptions(viewOptionsSchema, command.optsWithGlobals());
      await withTemporal(environment, (session) => showStatus(session, options));
    });
  migrate
    .command('pause')
    .description('stop starting tenants; those in flight finish')
    .action(() =>
      withTemporal(environment, (session) =>
        control(session, pauseFleetMigration, () => 'Paused; resume with `per-user-db migrate resume`.'),
      ),
    );
  migrate
    .command('resume')
    .description('carry on after a pause')
    .action(() => withTemporal(environment, (session) => control(session, resumeFleetMigration, () => 'Resumed.')));
  migrate
    .command('cancel')
    .description('stop the rollout: tenants in flight finish, the rest stay at their version; a report follows')
    .action(() =>
      withTemporal(environment, (session) =>
        control(session, cancelFleetMigration, () => 'Cancelling; `per-user-db migrate status` shows the report.'),
      ),
    );
}
