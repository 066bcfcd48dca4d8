import pg from 'pg';
import { eventually, startPipeline, type Pipeline, type PipelineOptions } from './pipeline.js';
import { testDatabaseUrl } from './postgres.js';
import { startTcpProxy } from './tcp-proxy.js';

/** How many databases of that name the server has (0 or 1): "exactly one database" checks. */
export async function databaseCount(adminUrl: string, name: string): Promise<number> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name]);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/** The same URL, with host and port replaced: a connection through a TCP proxy to that server. */
export function urlThrough(url: string, host: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  parsed.port = String(port);
  return parsed.toString();
}

/** Waits until the Clerk user's `publicMetadata.database.status` is `ready`; returns the user. */
export function waitForReadyMetadata(p: Pipeline, userId: string) {
  return eventually(async () => {
    const user = await p.clerk.users.getUser(userId);
    const db = user.publicMetadata.database as { status?: string } | undefined;
    return db?.status === 'ready' ? user : undefined;
  }, `metadata ready for ${userId}`);
}

/**
 * A pipeline whose worker reaches PostgreSQL (admin and tenant connections alike) only through a TCP proxy,
 * so a test can take the database away and bring it back. `stop()` closes the proxy too.
 */
export async function startPipelineBehindPostgresProxy(options: PipelineOptions = {}) {
  const adminUrl = new URL(await testDatabaseUrl());
  const proxy = await startTcpProxy(adminUrl.hostname, Number(adminUrl.port));
  const p = await startPipeline({
    ...options,
    env: { ...options.env, DATABASE_URL: urlThrough(adminUrl.href, '127.0.0.1', proxy.port) },
  });
  return {
    p,
    proxy,
    async stop() {
      await p.stop();
      await proxy.close();
    },
  };
}
