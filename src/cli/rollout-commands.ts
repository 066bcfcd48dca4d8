import { Option, type Command } from 'commander';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { temporalUiUrl } from '../client/connection.js';
import { fleetMigrationProgress, type FleetControl, type FleetMigrationHandle } from '../client/fleet-migration.js';
import { workflowOutcome } from '../client/outcome.js';
import {
  describeProgress,
  FLEET_DEFAULTS,
  FLEET_LIMITS,
  type FleetProgress,
  type FleetReport,
} from '../workflows/fleet-migration-state.js';
import { formatReport, progressBar, reportExitCode } from './migrate-display.js';
import { parseOptions, print, watch, whole, withTemporal, type Environment, type Session } from './session.js';

/**
 * The CLI side of a tenant rollout (`migrate`, `rotate-credentials`): the tuning options, following a run, and
 * the `status|pause|resume|cancel` subcommands, parametrised by what differs between rollouts.
 */
export interface RolloutCommands {
  /** The CLI command that controls it: `migrate`, `rotate-credentials`. */
  command: string;
  /** Its name in messages: `fleet migration`, `credential rotation`. */
  name: string;
  /** Its name in the subcommands' help: `rollout`, `rotation`. */
  noun: string;
  /** What `cancel` leaves the tenants not yet reached with, for its help. */
  cancelLeaves: string;
  workflowId(taskQueue: string): string;
  last(client: Client, taskQueue: string): Promise<{ handle: FleetMigrationHandle; status: string } | null>;
  control(client: Client, taskQueue: string, which: FleetControl): Promise<FleetProgress>;
}

/** The tuning options every rollout's start takes, as schema fields. */
export const tuningShape = {
  concurrency: whole('concurrency', FLEET_LIMITS.concurrency),
  pageSize: whole('page-size', FLEET_LIMITS.pageSize),
  batchSize: whole('batch-size', FLEET_LIMITS.batchSize),
  maxAttempts: whole('max-attempts', FLEET_LIMITS.maxAttempts),
  maxFailures: whole('max-failures', FLEET_LIMITS.maxFailures),
  historyEvents: whole('history-events', FLEET_LIMITS.maxHistoryEvents),
};

type Tuning = z.output<z.ZodObject<typeof tuningShape>>;

/** The parsed tuning options as the rollout workflow's options. */
export function tuningOf(options: Tuning) {
  return {
    concurrency: options.concurrency,
    pageSize: options.pageSize,
    batchSize: options.batchSize,
    maxAttempts: options.maxAttempts,
    maxFailures: options.maxFailures,
    maxHistoryEvents: options.historyEvents,
  };
}

/** Adds the tuning options to a rollout's start command; `verb` says what happens to a tenant (`migrated`). */
export function addTuningOptions(command: Command, verb: string): Command {
  return command
    .option('--concurrency <n>', `tenants ${verb} at once`, String(FLEET_DEFAULTS.concurrency))
    .option('--max-attempts <n>', 'attempts per tenant on transient errors', String(FLEET_DEFAULTS.maxAttempts))
    .option(
      '--max-failures <n>',
      'pause by itself after this many failed tenants (0: never)',
      String(FLEET_DEFAULTS.maxFailures),
    )
    .option('--page-size <n>', 'tenants listed from the provider per page', String(FLEET_DEFAULTS.pageSize))
    .option(
      '--batch-size <n>',
      `tenants one activity ${verb} in turn (a pause or cancel lets in-flight batches finish)`,
      String(FLEET_DEFAULTS.batchSize),
    )
    .addOption(
      new Option('--history-events <n>', 'continue-as-new after this many history events')
        .default(String(FLEET_DEFAULTS.maxHistoryEvents))
        .hideHelp(),
    );
}

/**
 * Shows live progress until the rollout ends and returns its report; Ctrl-C only detaches. `command` is the
 * CLI command that controls it (`migrate`, `rotate-credentials`).
 */
export function watchRollout({ client }: Session, handle: FleetMigrationHandle, command: string): Promise<FleetReport> {
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

/**
 * After a start: names the run (`headline`) with its Temporal UI link on stderr, then, unless detached,
 * watches it and prints its report.
 */
export async function followRollout(
  session: Session,
  rollout: RolloutCommands,
  handle: FleetMigrationHandle,
  headline: string,
  options: { detach: boolean; json: boolean },
): Promise<void> {
  const workflowId = rollout.workflowId(session.config.temporal.taskQueue);
  process.stderr.write(`${headline}: ${temporalUiUrl(session.config, workflowId)}\n`);
  if (options.detach) return;
  printReport(await watchRollout(session, handle, rollout.command), options.json);
}

const viewOptionsSchema = z.object({ watch: z.boolean().default(false), json: z.boolean().default(false) });

async function showStatus(
  session: Session,
  rollout: RolloutCommands,
  options: z.output<typeof viewOptionsSchema>,
): Promise<void> {
  const last = await rollout.last(session.client, session.config.temporal.taskQueue);
  if (!last) {
    process.stdout.write(`No ${rollout.name} has run yet.\n`);
    return;
  }
  const { handle, status } = last;
  if (status === 'COMPLETED') return printReport(await handle.result(), options.json);
  if (status !== 'RUNNING') throw new Error(`The last ${rollout.name} ended ${status.toLowerCase()}`);
  if (options.watch) return printReport(await watchRollout(session, handle, rollout.command), options.json);
  const progress = await fleetMigrationProgress(session.client, handle);
  if (!progress) throw new Error(`The ${rollout.name} is running, but no worker answered: is a worker up?`);
  print(progress, options.json, () => describeProgress(progress));
}

async function control(
  { config, client }: Session,
  rollout: RolloutCommands,
  which: FleetControl,
  done: string,
): Promise<void> {
  const progress = await rollout.control(client, config.temporal.taskQueue, which);
  process.stdout.write(`${done}\n${describeProgress(progress)}\n`);
}

/** Registers `status`, `pause`, `resume` and `cancel` under the rollout's command `parent`. */
export function registerRolloutControls(parent: Command, environment: Environment, rollout: RolloutCommands): void {
  const { command, noun } = rollout;
  parent
    .command('status')
    .description(`the running ${noun}’s progress, or the last one’s report`)
    .option('--watch', `show live progress until the ${noun} ends`)
    .option('--json', 'print JSON on stdout')
    // `--json` after `status` is claimed by the parent command itself: read the options of both.
    .action(async (_raw: unknown, sub: Command) => {
      const options = parseOptions(viewOptionsSchema, sub.optsWithGlobals());
      await withTemporal(environment, (session) => showStatus(session, rollout, options));
    });
  parent
    .command('pause')
    .description('stop starting tenants; those in flight finish')
    .action(() =>
      withTemporal(environment, (session) =>
        control(session, rollout, 'pause', `Paused; resume with \`per-user-db ${command} resume\`.`),
      ),
    );
  parent
    .command('resume')
    .description('carry on after a pause')
    .action(() => withTemporal(environment, (session) => control(session, rollout, 'resume', 'Resumed.')));
  parent
    .command('cancel')
    .description(`stop the ${noun}: tenants in flight finish, ${rollout.cancelLeaves}; a report follows`)
    .action(() =>
      withTemporal(environment, (session) =>
        control(session, rollout, 'cancel', `Cancelling; \`per-user-db ${command} status\` shows the report.`),
      ),
    );
}
