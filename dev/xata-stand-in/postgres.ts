import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { z } from 'zod';
import { scramSha256Verifier } from '../../src/providers/tenant-credentials.js';
import { HttpError } from './http.js';

/** Every database and role a stand-in creates starts with this: they never collide with `tenant_` names. */
export const STAND_IN_PREFIX = 'xata_';

const MAX_IDENTIFIER_BYTES = 63;

/**
 * The stand-ins' hold on the real PostgreSQL server (the admin URL's): each Xata branch or database is a real
 * database, described by a JSON comment on it, so the stand-in keeps no state of its own and survives restarts.
 */
export class StandInPostgres {
  private readonly pool: pg.Pool;

  constructor(private readonly adminUrl: string) {
    this.pool = new pg.Pool({ connectionString: adminUrl, max: 4 });
  }

  /** Creates (or re-sets the password of) a login role; the password travels as a SCRAM verifier only. */
  async ensureLoginRole(role: string, password: string): Promise<void> {
    assertIdentifier(role);
    const verifier = await scramSha256Verifier(password, randomBytes(16), 4096);
    const id = pg.escapeIdentifier(role);
    try {
      await this.pool.query(`CREATE ROLE ${id} LOGIN PASSWORD ${pg.escapeLiteral(verifier)}`);
    } catch (error) {
      if (!isAlreadyThere(error)) throw error;
      await this.pool.query(`ALTER ROLE ${id} LOGIN PASSWORD ${pg.escapeLiteral(verifier)}`);
    }
  }

  /**
   * Creates a database owned by `owner`, reachable by it alone, copied from `template` when given (then every
   * object the template's owner held in the copy is handed to `owner`), and tagged with `meta`.
   */
  async createDatabase(spec: {
    name: string;
    owner: string;
    meta: object;
    template?: { name: string; owner: string };
  }) {
    assertIdentifier(spec.name);
    const db = pg.escapeIdentifier(spec.name);
    const owner = pg.escapeIdentifier(spec.owner);
    const template = spec.template ? ` TEMPLATE ${pg.escapeIdentifier(spec.template.name)}` : '';
    try {
      await this.pool.query(`CREATE DATABASE ${db} OWNER ${owner}${template} STRATEGY FILE_COPY`);
    } catch (error) {
      if ((error as { code?: string }).code === '55006') {
        throw new HttpError(409, 'the parent branch is in use; try again');
      }
      throw error;
    }
    await this.pool.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    if (spec.template) await this.handOver(spec.name, spec.template, spec.owner);
    await this.pool.query(`COMMENT ON DATABASE ${db} IS ${pg.escapeLiteral(JSON.stringify(spec.meta))}`);
  }

  /** Drops a database (closing its sessions), and its role when given. Answers whether the database existed. */
  async dropDatabase(name: string, role?: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await this.pool.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    if (role) await this.pool.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    return (rowCount ?? 0) > 0;
  }

  /** The metadata of every stand-in database whose comment parses with `schema`. */
  async described<T>(schema: z.ZodType<T>): Promise<Array<T & { database: string }>> {
    const { rows } = await this.pool.query<{ datname: string; comment: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database
        WHERE starts_with(datname, $1) ORDER BY datname`,
      [STAND_IN_PREFIX],
    );
    return rows.flatMap((row) => {
      const parsed = schema.safeParse(safeJson(row.comment));
      return parsed.success ? [{ ...parsed.data, database: row.datname }] : [];
    });
  }

  /** Where tenant logins connect: the admin URL's server. */
  server(): { host: string; port: number } {
    const url = new URL(this.adminUrl);
    return { host: url.hostname, port: Number(url.port || 5432) };
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async handOver(database: string, template: { owner: string }, owner: string) {
    const url = new URL(this.adminUrl);
    url.pathname = `/${encodeURIComponent(database)}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      // REASSIGN OWNED also moves shared objects, i.e. the template's own database: give that one back.
      await client.query(`REASSIGN OWNED BY ${pg.escapeIdentifier(template.owner)} TO ${pg.escapeIdentifier(owner)}`);
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1) AND datname <> $2`,
        [owner, database],
      );
      for (const row of rows) {
        await client.query(
          `ALTER DATABASE ${pg.escapeIdentifier(row.datname)} OWNER TO ${pg.escapeIdentifier(template.owner)}`,
        );
      }
    } finally {
      await client.end();
    }
  }
}

function assertIdentifier(name: string) {
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new HttpError(400, `name too long for this stand-in (PostgreSQL allows ${MAX_IDENTIFIER_BYTES} bytes)`);
  }
}

function isAlreadyThere(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '42710' || code === '23505';
}

function safeJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
