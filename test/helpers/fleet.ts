/**
 * Helpers of the fleet-rollout integration tests: the CLI as child processes, the two-version release being
 * rolled out, and tenants made directly at v1 (much faster than sign-ups).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClerkClient } from '../../src/clerk/client.js';
import { applyMigrations, loadMigrations, type Migration } from '../../src/migrations/index.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { randomToken } from './pipeline.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

/** `src/cli.ts <args>` in child processes with the environment `env()` answers; `killAll` ends those still running. */
export function cliProcesses(env: () => Record<string, string>) {
  const children = new Set<ChildProcess>();

  function spawnCli(args: string[]): { child: ChildProcess; result: Promise<CliResult> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const result = new Promise<CliResult>((resolve) =>
      child.on('exit', (code) => {
        children.delete(child);
        resolve({ code, stdout, stderr });
      }),
    );
    return { child, result };
  }

  /** A worker process, resolved once it polls its task queues. */
  async function startWorker(): Promise<ChildProcess> {
    const { child, result } = spawnCli(['worker']);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('worker started') && resolve());
      void result.then((r) => reject(new Error(`worker exited early (${r.code}): ${r.stderr}`)));
    });
    return child;
  }

  return {
    spawnCli,
    runCli: (args: string[]) => spawnCli(args).result,
    startWorker,
    killAll: () => {
      for (const child of children) child.kill('SIGKILL');
    },
  };
}

/** The release being rolled out, in a directory of its own: the real 0001 plus the fixture's 0002; and v1 alone. */
export async function fleetRelease(): Promise<{ migrationsDir: string; v1: Migration[] }> {
  const migrationsDir = await mkdtemp(join(tmpdir(), 'per-user-db-fleet-migrations-'));
  await copyFile('migrations/0001_init.sql', join(migrationsDir, '0001_init.sql'));
  await copyFile('test/fixtures/migrations-fleet/0002_note_links.sql', join(migrationsDir, '0002_note_links.sql'));
  return { migrationsDir, v1: (await loadMigrations(migrationsDir)).slice(0, 1) };
}

/** A Clerk user with a tenant database at v1 and its metadata, as provisioning leaves them; answers the user id. */
export async function createV1Tenant(
  clerk: ClerkClient,
  provider: DatabaseProvider,
  v1: Migration[],
  provisionedAt = new Date().toISOString(),
): Promise<string> {
  const user = await clerk.users.createUser({ emailAddress: [`fleet-${randomToken(6)}@example.com`] });
  const database = await provider.create(user.id, {});
  await applyMigrations(await provider.adminConnection(database), v1);
  await clerk.users.updateUserMetadata(user.id, {
    publicMetadata: { database: { status: 'ready', ...database, schemaVersion: 1, provisionedAt } },
  });
  return user.id;
}
