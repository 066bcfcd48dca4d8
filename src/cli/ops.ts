import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import { createClerkApi, listUserPage } from '../clerk/client.js';
import { clerkUserId } from '../clerk/events.js';
import { loadConfig } from '../config/index.js';
import { createProvider } from '../providers/index.js';
import { userIdFromTenantDatabaseName } from '../providers/tenant-names.js';
import { startProvisioning } from '../webhook/start-provisioning.js';
import { databaseStatus, temporalUiUrl } from '../webhook/status.js';
import { reconcileDatabases } from '../workflows/reconcile.js';
import {
  RECONCILE_DEFAULTS,
  reconcileProgressQuery,
  reconcileWorkflowId,
  type ReconcileProgress,
  type ReconcileReport,
} from '../workflows/reconcile-state.js';
import { createProgressDisplay } from './migrate-display.js';
import { parseOptions, withTemporal, type Environment, type Session } from './migrate.js';
import { formatReconcileReport, formatStatus, formatTable, reconcileBar } from './ops-display.js';

const POLL_MS = 1_000;
const QUERY_DEADLINE_MS = 5_000;
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
  limit: z.coerce
    .number({ message: '--limit must be a number' })
    .int({ message: '--limit must be a whole number' })
    .min(1, { message: '--limit must be at least 1' })
    .max(LIST_LIMIT_MAX, { message: `--limit must be at most ${LIST_LIMIT_MAX}` }),
});

const print = (value: unknown, asJson: boolean, text: () => string) =>
  process.stdout.write(asJson ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);

/** Waits for a workflow's result; a failed run becomes an error naming its cause (exit code 1). */
async function outcomeOf<T>(handle: WorkflowHandle, what: string): Promise<T> {
  try {
    return (await handle.result()) as T;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      throw new Error(`${what} failed: ${error.cause?.message ?? error.message}`, { cause: error });
    }
    throw error;
  }
}

async function showStatus({ config, client }: Session, userId: string, asJson: boolean): Promise<void> {
  const status = await databaseStatus(client, config, userId);
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
  const started = await startProvisioning(client, config.temporal.taskQueue, { userId, region: options.region });
  process.stderr.write(
    started.outcome === 'started'
      ? `Provisioning ${userId}: ${temporalUiUrl(config, started.workflowId)}\n`
      : `${userId} was provisioned before; its status:\n`,
  );
  if (started.outcome === 'started') {
    await outcomeOf(client.workflow.getHandle(started.workflowId), `Provisioning ${userId}`);
  }
  await showStatus(session, userId, options.json);
}

async function deprovision({ config, client }: Session, userId: string, asJson: boolean): Promise<void> {
  const { startDeprovisioning } = await import('../webhook/start-deprovisioning.js');
  const started = await startDeprovisioning(client, config.temporal.taskQueue, { userId, reason: 'operator' });
  process.stderr.write(`Deprovisioning ${userId}: ${temporalUiUrl(config, started.workflowId)}\n`);
  const result = await outcomeOf<unknown>(client.workflow.getHandle(started.workflowId), `Deprovisioning ${userId}`);
  print({ userId, workflowId: started.workflowId, result }, asJson, () => `${userId}: database removed`);
}

async function queryProgress(client: Client, handle: WorkflowHandle): Promise<ReconcileProgress | undefined> {
  try {
    return await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      handle.query(reconcileProgressQuery),
    );
  } catch {
    return undefined; // no worker to answer right now; the display says so
  }
}

async function reconcile({ config, client }: Session, options: z.output<typeof reconcileOptions>): Promise<void> {
  const workflowId = reconcileWorkflowId(config.temporal.taskQueue);
  let handle: WorkflowHandle<typeof reconcileDatabases>;
  try {
    handle = await client.workflow.start(reconcileDatabases, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ ...RECONCILE_DEFAULTS, dryRun: options.dryRun, removeOrphans: options.removeOrphans }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Reconciliation${options.dryRun ? ' (dry run)' : ''}${options.removeOrphans ? ', removing orphans' : ''}`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(`A reconciliation is already running (workflow ${workflowId}); let it finish first`, {
        cause: error,
      });
    }
    throw error;
  }
  process.stderr.write(`Reconciling: ${temporalUiUrl(config, workflowId)}\n`);
  if (options.detach) return;

  const display = createProgressDisplay(reconcileBar);
  let settled = false;
  const result = outcomeOf<ReconcileReport>(handle, 'Reconciliation').finally(() => {
    settled = true;
  });
  try {
    while (!settled) {
      display.update(await queryProgress(client, handle));
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, POLL_MS))]);
    }
  } finally {
    display.stop();
  }
  const report = await result;
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
 * Operator commands: `status`, `provision`, `deprovision`, `reconcile` and `list`. Tables by default, `--json`
 * for scripts; exit code 2 for bad arguments or configuration, 1 when the operation failed.
 */
export function registerOpsCommands(program: Command, environment: Environment = () => process.env): void {
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
