import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startClerkStandIn, type ClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { createClerkApi, type ClerkClient } from '../../src/clerk/client.js';
import { applyMigrations, loadMigrations, type Migration } from '../../src/migrations/index.js';
import type { DatabaseProvider, TenantDatabase } from '../../src/providers/types.js';
import { eventually } from '../helpers/pipeline.js';

/** The shipped schema (v1) plus the fleet fixture's change (v2): a rollout the router can be caught in. */
export async function migrationsV1V2(): Promise<Migration[]> {
  const dir = await mkdtemp(join(tmpdir(), 'router-migrations-'));
  try {
    await copyFile('migrations/0001_init.sql', join(dir, '0001_init.sql'));
    await copyFile('test/fixtures/migrations-fleet/0002_note_links.sql', join(dir, '0002_note_links.sql'));
    return await loadMigrations(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ClerkUsers {
  standIn: ClerkStandIn;
  clerk: ClerkClient;
  secretKey: string;
  /** A Clerk user with no database record yet (sign-up seen, provisioning not done). */
  signUp(): Promise<string>;
  /** Writes `publicMetadata.database` as the worker does. */
  record(userId: string, database: Record<string, unknown> | null): Promise<void>;
  /**
   * A user whose database the provider created and migrated to `version`, with a `ready` record: what the
   * provisioning workflow leaves behind.
   */
  readyTenant(provider: DatabaseProvider, migrations: readonly Migration[], version?: number): Promise<string>;
}

export async function clerkUsers(): Promise<ClerkUsers> {
  const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const standIn = await startClerkStandIn({ secretKey });
  const clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
  const signUp = async () =>
    (await clerk.users.createUser({ emailAddress: [`router-${randomBytes(6).toString('hex')}@example.com`] })).id;
  const record = async (userId: string, database: Record<string, unknown> | null) => {
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { database } });
  };
  return {
    standIn,
    clerk,
    secretKey,
    signUp,
    record,
    async readyTenant(provider, migrations, version = 1) {
      const userId = await signUp();
      const db = await provider.create(userId, {});
      await applyMigrations(await provider.adminConnection(db), migrations.slice(0, version));
      await record(userId, readyRecord(db, version));
      return userId;
    },
  };
}

export function readyRecord(db: TenantDatabase, schemaVersion: number) {
  return { status: 'ready', ...db, schemaVersion, provisionedAt: new Date().toISOString() };
}

/** Open server sessions per role, as PostgreSQL itself counts them. */
export async function sessionsByRole(adminUrl: string, roles: readonly string[]): Promise<Map<string, number>> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    const { rows } = await client.query<{ usename: string; n: number }>(
      'SELECT usename, count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1) GROUP BY usename',
      [roles],
    );
    return new Map(rows.map((r) => [r.usename, r.n]));
  } finally {
    await client.end();
  }
}

/** Waits until the role has exactly `count` sessions open. */
export function waitForSessions(adminUrl: string, role: string, count: number) {
  return eventually(
    async () => ((await sessionsByRole(adminUrl, [role])).get(role) ?? 0) === count || undefined,
    `${count} sessions of ${role}`,
    30_000,
  );
}
