import type { Command } from 'commander';
import { z } from 'zod';
import {
  controlFleetMigration,
  lastFleetMigration,
  startFleetMigration,
  startTenantMigration,
  type MigrationTarget,
} from '../client/fleet-migration.js';
import { workflowOutcome } from '../client/outcome.js';
import type { ClientConfig } from '../config/index.js';
import { latestVersion, loadMigrations, migrationFile } from '../migrations/index.js';
import { clerkUserIdSchema } from '../domain/index.js';
import {
  fleetMigrationWorkflowId,
  isClerkUserGone,
  type TenantMigrationResult,
} from '../workflows/fleet-migration-state.js';
import { formatTenantResult } from './migrate-display.js';
import {
  addTuningOptions,
  followRollout,
  registerRolloutControls,
  tuningOf,
  tuningShape,
  type RolloutCommands,
} from './rollout-commands.js';
import { parseOptions, print, withTemporal, type Environment, type Session } from './session.js';

const startOptionsSchema = z.object({
  ...tuningShape,
  clerk: z.boolean(),
  user: clerkUserIdSchema.optional(),
  detach: z.boolean().default(false),
  json: z.boolean().default(false),
});
type StartOptions = z.output<typeof startOptionsSchema>;

const ROLLOUT: RolloutCommands = {
  command: 'migrate',
  name: 'fleet migration',
  noun: 'rollout',
  cancelLeaves: 'the rest stay at their version',
  workflowId: fleetMigrationWorkflowId,
  last: lastFleetMigration,
  control: controlFleetMigration,
};

/** The newest migration of the release this CLI belongs to: the version the rollout brings every tenant to. */
async function targetOf(config: ClientConfig): Promise<MigrationTarget> {
  const migrations = await loadMigrations(config.migrationsDir);
  const newest = migrations.at(-1);
  if (!newest) throw new Error(`No migration files in ${config.migrationsDir} (MIGRATIONS_DIR): nothing to roll out`);
  return { version: latestVersion(migrations), file: migrationFile(newest) };
}

async function startRollout(session: Session, options: StartOptions): Promise<void> {
  const { config, client } = session;
  const target = await targetOf(config);
  const handle = await startFleetMigration(client, config.temporal.taskQueue, target, {
    ...tuningOf(options),
    updateClerk: options.clerk,
  });
  const headline = `Rolling out schema v${target.version} (${target.file}) to every tenant`;
  await followRollout(session, ROLLOUT, handle, headline, options);
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
    process.stderr.write(`${isClerkUserGone(error) ? orphanMessage(userId) : (error as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** Clerk is written only after the migration committed, so a user gone from Clerk leaves a migrated orphan. */
const orphanMessage = (userId: string) =>
  `Clerk has no user ${userId} (deleted): the tenant database was migrated, but its schemaVersion could not be ` +
  `recorded on the user. The database is an orphan: run \`per-user-db reconcile\` to review and remove it.`;

/**
 * `per-user-db migrate` (start a rollout and watch it), `migrate --user <id>` (one tenant now), and
 * `migrate status|pause|resume|cancel`.
 */
export function registerMigrateCommand(program: Command, environment: Environment): void {
  const migrate = addTuningOptions(
    program
      .command(ROLLOUT.command)
      .description(
        'roll the tenant schema (MIGRATIONS_DIR) out to every tenant database as a durable Temporal workflow, ' +
          'showing progress until it is done (exit code 1 when any tenant failed)',
      ),
    'migrated',
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

  registerRolloutControls(migrate, environment, ROLLOUT);
}
