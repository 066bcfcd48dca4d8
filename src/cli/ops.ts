import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import { createClerkApi, listUserPage } from '../clerk/client.js';
import { clerkUserId } from '../clerk/events.js';
import { temporalUiUrl } from '../client/connection.js';
import { restoreDatabase, startDeprovisioning } from '../client/deprovisioning.js';
import { workflowOutcome } from '../client/outcome.js';
import { startProvisioning } from '../client/provisioning.js';
import { reconciliationProgress, startReconciliation } from '../client/reconciliation.js';
import { databaseStatus } from '../client/status.js';
import { loadConfig } from '../config/index.js';
import { createProvider } from '../providers/index.js';
import { userIdFromTenantDatabaseName } from '../providers/tenant-names.js';
import { reconcileWorkflowId, type ReconcileReport } from '../workflows/reconcile-state.js';
import { formatReconcileReport, formatRestored, formatStatus, formatTable, reconcileBar } from './ops-display.js';
import { parseOptions, print, watch, whole, withTemporal, type Environment, type Session } from './session.js';

const LIST_LIMIT_MAX = 500;

const json = z.boolean().default(false);
const userIdArgument = (raw: unknown): string => {
  const parsed = clerkUserId.safeParse(raw);
  if (!parsed.success) throw new InvalidArgumentError(`<userId> ${parsed.error.issues[0]?.message}`);
  return parsed.data;
};
const jsonOnly = z.object({ json });
const provisionOptions = z.object({
  json,
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, { message: 'must be a region name (a-z, 0-9, -)' })
    .optional(),
});
const reconcileOptions = z.object({
  json,
  dryRun: z.boolean().default(false),
  removeOrphans: z.boolean().default(false),
  detach: z.boolean().default(false),
});
const listOptions = z.object({
  json,
  limit: whole('limit', [1, LIST_LIMIT_MAX]),
});

async function showStatus({ config, client }: Session, userId: string, asJson: boolean): Promise<void> {
  const status = await databaseStatus(client, config, userId, config.clerk && createClerkApi(config.clerk));
  if (!status) {
    process.stderr.write(
      `${userId}: no provisioning workflow (never provisioned; \`provision ${userId}\` starts one)\n`,
    );
    process.exitCode = 1;
    return;
  }
  print(status, asJson, () => formatStatus(status));
  if (status.status === 'failed') process.exitCode = 1;
}

async function provision(session: Session, userId: string, options: z.output<typeof provisionOptions>) {
  const { config, client } = session;
  const started = await startProvisioning(
    client,
    config.temporal.taskQueue,
    { userId, region: options.region },
    { restartStopped: true }, // the operator asks for it
  );
  process.stderr.write(
    started.outcome === 'started'
      ? `Provisioning ${userId}: ${temporalUiUrl(config, started.workflowId)}\n`
      : `${userId} was provisioned before; its status:\n`,
  );
  if (started.outcome === 'started') {
    await workflowOutcome(client.workflow.getHandle(started.workflowId), `Provisioning ${userId}`);
  }
  await showStatus(session, userId, options.json);
}

async function deprovision({ config, client }: Session, userId: string, asJson: boolean): Promise<void> {
  const started = await startDeprovisioning(client, config.temporal.taskQueue, { userId, reason: 'operator' });
  process.stderr.write(`Deprovisioning ${userId}: ${temporalUiUrl(config, started.workflowId)}\n`);
  const result = await workflowOutcome<unknown>(
    client.workflow.getHandle(started.workflowId),
    `Deprovisioning ${userId}`,
  );
  print({ userId, workflowId: started.workflowId, result }, asJson, () => `${userId}: database removed`);
}

async function restore({ client }: Session, userId: string, asJson: boolean): Promise<void> {
  const state = await restoreDatabase(client, userId);
  print(state, asJson, () => formatRestored(state));
}

async function reconcile({ config, client }: Session, options: z.output<typeof reconcileOptions>): Promise<void> {
  const { dryRun, removeOrphans } = options;
  const handle = await startReconciliation(client, config.temporal.taskQueue, { dryRun, removeOrphans });
  process.stderr.write(`Reconciling: ${temporalUiUrl(config, reconcileWorkflowId(config.temporal.taskQueue))}\n`);
  if (options.detach) return;
  const report = await watch({
    result: workflowOutcome<ReconcileReport>(handle, 'Reconciliation'),
    progress: () => reconciliationProgress(client, handle),
    format: reconcileBar,
    detachHint: 'the reconciliation goes on in Temporal (its report is in the Temporal UI).',
  });
  print(report, options.json, () => formatReconcileReport(report));
  if (report.failed > 0) process.exitCode = 1;
}

/** The first `limit` Clerk users (oldest first) with their database as Clerk records it and as the provider has it. */
async function listUsers(environment: Environment, options: z.output<typeof listOptions>): Promise<void> {
  const config = loadConfig(environment(), 'ops');
  const clerk = createClerkApi(config.clerk);
  const page = await listUserPage(clerk, { offset: 0, limit: options.limit });
  const wanted = new Set(page.users.map((u) => u.id));
  const databases = new Map<string, string>();
  const provider = await createProvider(config.provider);
  try {
    for await (const db of provider.list()) {
      const userId = userIdFromTenantDatabaseName(db.name);
      if (userId !== undefined && wanted.has(userId)) databases.set(userId, db.name);
    }
  } finally {
    await provider.close();
  }
  const users = page.users.map((u) => {
    const database = databases.get(u.id) ?? null;
    const clerkStatus = u.databaseStatus ?? null;
    const problem =
      database === null ? 'no database' : clerkStatus !== 'ready' ? 'database not recorded as ready on Clerk' : null;
    return { userId: u.id, clerkStatus, database, problem };
  });
  const value = { totalUsers: page.totalCount, users };
  print(value, options.json, () =>
    [
      formatTable(
        ['USER', 'CLERK STATUS', 'DATABASE', 'PROBLEM'],
        users.map((u) => [u.userId, u.clerkStatus ?? '—', u.database ?? '—', u.problem ?? '']),
      ),
      `${users.length} of ${page.totalCount} users (oldest first)`,
    ].join('\n'),
  );
}

/** Usage mistakes (unknown option, missing argument) exit with 2, like invalid values and configuration. */
function usageExitCode(command: Command): Command {
  return command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
}

/**
 * Operator commands: `status`, `provision`, `deprovision`, `restore`, `reconcile` and `list`. Tables by default, `--json`
 * for scripts; exit code 2 for bad arguments or configuration, 1 when the operation failed.
 */
export function registerOpsCommands(program: Command, environment: Environment): void {
  const command = (name: string, description: string) =>
    usageExitCode(program.command(name).description(description).option('--json', 'print JSON on stdout'));

  command('status', "a user's database: status, name, region, schema version, workflow")
    .argument('<userId>', 'Clerk user id (user_…)')
    .action(async (raw: unknown, rawOptions: unknown) => {
      const userId = userIdArgument(raw);
      const options = parseOptions(jsonOnly, rawOptions);
      await withTemporal(environment, (session) => showStatus(session, userId, options.json));
    });

  command('provision', "provision a user's database now (idempotent: a user already provisioned is left alone)")
    .argument('<userId>', 'Clerk user id (user_…)')
    .option('--region <region>', 'region to place the database in (default: the provider’s)')
    .action(async (raw: unknown, rawOptions: unknown) => {
      const userId = userIdArgument(raw);
      const options = parseOptions(provisionOptions, rawOptions);
      await withTemporal(environment, (session) => provision(session, userId, options));
    });

  command('deprovision', "remove a user's database (as when the Clerk user is deleted)")
    .argument('<userId>', 'Clerk user id (user_…)')
    .action(async (raw: unknown, rawOptions: unknown) => {
      const userId = userIdArgument(raw);
      const options = parseOptions(jsonOnly, rawOptions);
      await withTemporal(environment, (session) => deprovision(session, userId, options.json));
    });

  command('restore', "keep a user's database whose deletion is still in its grace period (DELETE_GRACE_PERIOD)")
    .argument('<userId>', 'Clerk user id (user_…)')
    .action(async (raw: unknown, rawOptions: unknown) => {
      const userId = userIdArgument(raw);
      const options = parseOptions(jsonOnly, rawOptions);
      await withTemporal(environment, (session) => restore(session, userId, options.json));
    });

  command(
    'reconcile',
    'provision Clerk users without a database and report databases without a Clerk user (orphans), now',
  )
    .option('--dry-run', 'only compute and print the plan; change nothing')
    .option('--remove-orphans', 'deprovision orphan databases (at most 100 a run)')
    .option('--detach', 'start the run and return at once')
    .action(async (rawOptions: unknown) => {
      const options = parseOptions(reconcileOptions, rawOptions);
      await withTemporal(environment, (session) => reconcile(session, options));
    });

  command('list', 'Clerk users with their database status (Clerk metadata and the provider)')
    .option('--limit <n>', `users to show, oldest first (at most ${LIST_LIMIT_MAX})`, '50')
    .action(async (rawOptions: unknown) => {
      await listUsers(environment, parseOptions(listOptions, rawOptions));
    });
}
