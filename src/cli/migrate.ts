import { Option, type Command } from 'commander';
import { z } from 'zod';
import { temporalUiUrl } from '../client/connection.js';
import {
  controlFleetMigration,
  fleetMigrationProgress,
  lastFleetMigration,
  startFleetMigration,
  startTenantMigration,
  type FleetControl,
  type FleetMigrationHandle,
  type MigrationTarget,
} from '../client/fleet-migration.js';
import { workflowOutcome } from '../client/outcome.js';
import type { ClientConfig } from '../config/index.js';
import { latestVersion, loadMigrations, migrationFile } from '../migrations/index.js';
import { clerkUserIdSchema } from '../domain/index.js';
import {
  describeProgress,
  FLEET_DEFAULTS,
  FLEET_LIMITS,
  fleetMigrationWorkflowId,
  type FleetReport,
  type TenantMigrationResult,
} from '../workflows/fleet-migration-state.js';
import { formatReport, formatTenantResult, progressBar, reportExitCode } from './migrate-display.js';
import { parseOptions, print, watch, withTemporal, type Environment, type Session } from './session.js';

export const whole = (name: string, [min, max]: readonly [number, number]) =>
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
  user: clerkUserIdSchema.optional(),
  detach: z.boolean().default(false),
  json: z.boolean().default(false),
});
type StartOptions = z.output<typeof startOptionsSchema>;

const viewOptionsSchema = z.object({ watch: z.boolean().default(false), json: z.boolean().default(false) });

/** The newest migration of the release this CLI belongs to: the version the rollout brings every tenant to. */
async function targetOf(config: ClientConfig): Promise<MigrationTarget> {
  const migrations = await loadMigrations(config.migrationsDir);
  const newest = migrations.at(-1);
  if (!newest) throw new Error(`No migration files in ${config.migrationsDir} (MIGRATIONS_DIR): nothing to roll out`);
  return { version: latestVersion(migrations), file: migrationFile(newest) };
}

/**
 * Shows live progress until the rollout ends and returns its report; Ctrl-C only detaches. `command` is the
 * CLI command that controls it (`migrate`, `rotate-credentials`).
 */
export function watchRollout(
  { client }: Session,
  handle: FleetMigrationHandle,
  command = 'migrate',
): Promise<FleetReport> {
  return watch({
    result: workflowOutcome<FleetReport>(handle, 'The rollout'),
    progress: () => fleetMigrationProgress(client, handle),
    format: progressBar,
    detachHint:
      `the rollout goes on in Temporal. Watch it with \`per-user-db ${command} status --watch\`, ` +
      `stop it with \`per-user-db ${command} pause\` or \`cancel\`.`,
  });
}

export function printReport(report: FleetReport, json: boolean): void {
  print(report, json, () => formatReport(report));
  process.exitCode = reportExitCode(report);
}

async function startRollout(session: Session, options: StartOptions): Promise<void> {
  const { config, client } = session;
  const target = await targetOf(config);
  const handle = await startFleetMigration(client, config.temporal.taskQueue, target, {
    concurrency: options.concurrency,
    pageSize: options.pageSize,
    maxAttempts: options.maxAttempts,
    maxFailures: options.maxFailures,
    maxHistoryEvents: options.historyEvents,
    updateClerk: options.clerk,
  });
  const workflowId = fleetMigrationWorkflowId(config.temporal.taskQueue);
  process.stderr.write(
    `Rolling out schema v${target.version} (${target.file}) to every tenant: ${temporalUiUrl(config, workflowId)}\n`,
  );
  if (options.detach) return;
  printReport(await watchRollout(session, handle), options.json);
}

async function migrateOneTenant({ config, client }: Session, userId: string, options: StartOptions): Promise<void> {
  const target = await targetOf(config);
  const handle = await startTenantMigration(client, config.temporal.taskQueue, {
    userId,
    targetVersion: target.version,
    maxAttempts: options.maxAttempts,
    updateClerk: options.clerk,
  });
  try {
    const result = await workflowOutcome<TenantMigrationResult>(handle, `Migrating ${userId}`);
    print(result, options.json, () => formatTenantResult(result));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

async function showStatus(session: Session, options: z.output<typeof viewOptionsSchema>): Promise<void> {
  const last = await lastFleetMigration(session.client, session.config.temporal.taskQueue);
  if (!last) {
    process.stdout.write('No fleet migration has run yet.\n');
    return;
  }
  const { handle, status } = last;
  if (status === 'COMPLETED') return printReport(await handle.result(), options.json);
  if (status !== 'RUNNING') throw new Error(`The last fleet migration ended ${status.toLowerCase()}`);
  if (options.watch) return printReport(await watchRollout(session, handle), options.json);
  const progress = await fleetMigrationProgress(session.client, handle);
  if (!progress) throw new Error('The fleet migration is running, but no worker answered: is a worker up?');
  print(progress, options.json, () => describeProgress(progress));
}

async function control({ config, client }: Session, which: FleetControl, done: string): Promise<void> {
  const progress = await controlFleetMigration(client, config.temporal.taskQueue, which);
  process.stdout.write(`${done}\n${describeProgress(progress)}\n`);
}

/**
 * `per-user-db migrate` (start a rollout and watch it), `migrate --user <id>` (one tenant now), and
 * `migrate status|pause|resume|cancel`.
 */
export function registerMigrateCommand(program: Command, environment: Environment): void {
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
        control(session, 'pause', 'Paused; resume with `per-user-db migrate resume`.'),
      ),
    );
  migrate
    .command('resume')
    .description('carry on after a pause')
    .action(() => withTemporal(environment, (session) => control(session, 'resume', 'Resumed.')));
  migrate
    .command('cancel')
    .description('stop the rollout: tenants in flight finish, the rest stay at their version; a report follows')
    .action(() =>
      withTemporal(environment, (session) =>
        control(session, 'cancel', 'Cancelling; `per-user-db migrate status` shows the report.'),
      ),
    );
}
