/**
 * Helpers of the fleet-rollout integration tests: the CLI as child processes and their environment, and tenants
 * made directly at v1 (much faster than sign-ups). The release rolled out: `fleetRelease` in ./worker-env.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ClerkClient } from '../../src/clerk/client.js';
import { applyMigrations, type Migration } from '../../src/migrations/index.js';
import type { DatabaseProvider } from '../../src/providers/types.js';
import { randomToken } from './pipeline.js';
import { workerEnv, type WorkerStack } from './worker-env.js';

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

/**
 * The environment of the CLI children of a fleet test: the worker's variables for `stack`, the release's
 * migrations, and no scheduled reconciliation (it would provision users in the middle of a rollout).
 */
export function fleetCliEnv(stack: WorkerStack, migrationsDir: string, extra: Record<string, string> = {}) {
  return {
    ...(process.env as Record<string, string>),
    ...workerEnv(stack),
    MIGRATIONS_DIR: migrationsDir,
    LOG_LEVEL: 'info',
    DB_PROVIDER: 'postgres',
    RECONCILE_INTERVAL: 'off',
    ...extra,
  };
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
