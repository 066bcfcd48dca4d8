import { rmSync } from 'node:fs';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadMigrations, type Migration } from '../../src/migrations/index.js';

/** What a test's worker is pointed at: its PostgreSQL, Clerk (or the stand-in), task queue and Temporal. */
export interface WorkerStack {
  databaseUrl: string;
  passwordSecret: string;
  clerk: { secretKey: string; apiUrl: string };
  taskQueue: string;
  temporal: TestWorkflowEnvironment;
}

/** The variables that point a worker at `stack`; a test adds its own settings to them. */
export function workerEnv({ databaseUrl, passwordSecret, clerk, taskQueue, temporal }: WorkerStack) {
  return {
    DATABASE_URL: databaseUrl,
    TENANT_PASSWORD_SECRET: passwordSecret,
    CLERK_SECRET_KEY: clerk.secretKey,
    CLERK_API_URL: clerk.apiUrl,
    TASK_QUEUE: taskQueue,
    TEMPORAL_ADDRESS: temporal.connection.options.address ?? '',
  };
}

/**
 * The release a fleet migration rolls out, in a new folder named after `name`: the real 0001 plus the test
 * fixture's 0002, removed when the process exits. `v1` is 0001 alone, for making the fleet at v1.
 */
export async function fleetRelease(name: string): Promise<{ migrationsDir: string; v1: Migration[] }> {
  const migrationsDir = await mkdtemp(join(tmpdir(), `per-user-db-${name}-migrations-`));
  // Removed when the test file's process ends, whatever the file's hooks do (the worker reads it till then).
  process.once('exit', () => rmSync(migrationsDir, { recursive: true, force: true }));
  await copyFile('migrations/0001_init.sql', join(migrationsDir, '0001_init.sql'));
  await copyFile('test/fixtures/migrations-fleet/0002_note_links.sql', join(migrationsDir, '0002_note_links.sql'));
  return { migrationsDir, v1: (await loadMigrations(migrationsDir)).slice(0, 1) };
}
