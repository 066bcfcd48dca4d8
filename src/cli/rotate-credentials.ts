import { Option, type Command } from 'commander';
import { z } from 'zod';
import { temporalUiUrl } from '../client/connection.js';
import {
  controlCredentialRotation,
  lastCredentialRotation,
  startCredentialRotation,
} from '../client/credential-rotation.js';
import { fleetMigrationProgress, type FleetControl } from '../client/fleet-migration.js';
import {
  credentialRotationWorkflowId,
  describeProgress,
  FLEET_DEFAULTS,
  FLEET_LIMITS,
} from '../workflows/fleet-migration-state.js';
import { printReport, watchRollout, whole } from './migrate.js';
import { parseOptions, print, withTemporal, type Environment, type Session } from './session.js';

const COMMAND = 'rotate-credentials';

const startOptionsSchema = z.object({
  concurrency: whole('concurrency', FLEET_LIMITS.concurrency),
  pageSize: whole('page-size', FLEET_LIMITS.pageSize),
  maxAttempts: whole('max-attempts', FLEET_LIMITS.maxAttempts),
  maxFailures: whole('max-failures', FLEET_LIMITS.maxFailures),
  historyEvents: whole('history-events', FLEET_LIMITS.maxHistoryEvents),
  detach: z.boolean().default(false),
  json: z.boolean().default(false),
});

const viewOptionsSchema = z.object({ watch: z.boolean().default(false), json: z.boolean().default(false) });

async function startRotation(session: Session, options: z.output<typeof startOptionsSchema>): Promise<void> {
  const { config, client } = session;
  const handle = await startCredentialRotation(client, config.temporal.taskQueue, {
    concurrency: options.concurrency,
    pageSize: options.pageSize,
    maxAttempts: options.maxAttempts,
    maxFailures: options.maxFailures,
    maxHistoryEvents: options.historyEvents,
  });
  const workflowId = credentialRotationWorkflowId(config.temporal.taskQueue);
  process.stderr.write(`Rotating every tenant's password: ${temporalUiUrl(config, workflowId)}\n`);
  if (options.detach) return;
  printReport(await watchRollout(session, handle, COMMAND), options.json);
}

async function showStatus(session: Session, options: z.output<typeof viewOptionsSchema>): Promise<void> {
  const last = await lastCredentialRotation(session.client, session.config.temporal.taskQueue);
  if (!last) {
    process.stdout.write('No credential rotation has run yet.\n');
    return;
  }
  const { handle, status } = last;
  if (status === 'COMPLETED') return printReport(await handle.result(), options.json);
  if (status !== 'RUNNING') throw new Error(`The last credential rotation ended ${status.toLowerCase()}`);
  if (options.watch) return printReport(await watchRollout(session, handle, COMMAND), options.json);
  const progress = await fleetMigrationProgress(session.client, handle);
  if (!progress) throw new Error('The credential rotation is running, but no worker answered: is a worker up?');
  print(progress, options.json, () => describeProgress(progress));
}

async function control({ config, client }: Session, which: FleetControl, done: string): Promise<void> {
  const progress = await controlCredentialRotation(client, config.temporal.taskQueue, which);
  process.stdout.write(`${done}\n${describeProgress(progress)}\n`);
}

/**
 * `per-user-db rotate-credentials` (start a rotation and watch it) and `rotate-credentials
 * status|pause|resume|cancel`: the fleet migration's rollout, re-setting each tenant's password.
 */
export function registerRotateCredentialsCommand(program: Command, environment: Environment): void {
  const rotate = program
    .command(COMMAND)
    .description(
      "re-set every tenant role's password from the workers' current TENANT_PASSWORD_SECRET as a durable " +
        'Temporal workflow (after rotating the secret; keep TENANT_PASSWORD_SECRET_PREVIOUS set until it is done)',
    )
    .option('--concurrency <n>', 'tenants rotated at once', String(FLEET_DEFAULTS.concurrency))
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
    .option('--detach', 'start the rotation and return at once')
    .option('--json', 'print the final report as JSON on stdout')
    .action(async (raw: unknown) => {
      const options = parseOptions(startOptionsSchema, raw);
      await withTemporal(environment, (session) => startRotation(session, options));
    });

  rotate
    .command('status')
    .description('the running rotation’s progress, or the last one’s report')
    .option('--watch', 'show live progress until the rotation ends')
    .option('--json', 'print JSON on stdout')
    .action(async (_raw: unknown, command: Command) => {
      const options = parseOptions(viewOptionsSchema, command.optsWithGlobals());
      await withTemporal(environment, (session) => showStatus(session, options));
    });
  rotate
    .command('pause')
    .description('stop starting tenants; those in flight finish')
    .action(() =>
      withTemporal(environment, (session) =>
        control(session, 'pause', `Paused; resume with \`per-user-db ${COMMAND} resume\`.`),
      ),
    );
  rotate
    .command('resume')
    .description('carry on after a pause')
    .action(() => withTemporal(environment, (session) => control(session, 'resume', 'Resumed.')));
  rotate
    .command('cancel')
    .description('stop the rotation: tenants in flight finish, the rest keep their password; a report follows')
    .action(() =>
      withTemporal(environment, (session) =>
        control(session, 'cancel', `Cancelling; \`per-user-db ${COMMAND} status\` shows the report.`),
      ),
    );
}
