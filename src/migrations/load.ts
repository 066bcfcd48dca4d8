import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationFilesError } from './errors.js';

/** One tenant schema change: the file `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha256 (hex) of the SQL with line endings normalised, so a checkout with CRLF endings is not an edit. */
  checksum: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;

/** `0001_init.sql`: how a migration is named in messages. */
export function migrationFile(migration: Pick<Migration, 'version' | 'name'>): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}.sql`;
}

/**
 * Reads every `.sql` file of a folder as a migration, in version order. Versions must run 1, 2, 3… without a
 * gap or a duplicate, so two branches that both add "the next" file fail loudly instead of skipping one.
 * Other files (a README) are ignored.
 */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.sql')).map((e) => e.name);
  const migrations = await Promise.all(
    files.map(async (file) => {
      const match = FILE_NAME.exec(file);
      if (!match?.[1] || !match[2]) {
        throw new MigrationFilesError(
          `Migration file "${file}" in ${dir} is misnamed: expected NNNN_name.sql (4 digits, then lowercase letters, digits, _)`,
        );
      }
      const sql = (await readFile(join(dir, file), 'utf8')).replace(/\r\n/g, '\n');
      return { version: Number(match[1]), name: match[2], sql, checksum: sha256(sql) };
    }),
  );
  migrations.sort((a, b) => a.version - b.version);
  assertSequence(migrations);
  return migrations;
}

/** The schema version the migrations lead to (0 for none). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** Migrations must be numbered 1, 2, 3… in order. */
export function assertSequence(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (previous && previous.version === migration.version) {
      throw new MigrationFilesError(
        `Two migrations have version ${migration.version}: ${migrationFile(previous)} and ${migrationFile(migration)}`,
      );
    }
    if (migration.version !== index + 1) {
      throw new MigrationFilesError(
        `Migration ${migrationFile(migration)} is out of sequence: expected version ${index + 1}` +
          (previous ? ` after ${migrationFile(previous)}` : ' first') +
          '; versions must run 1, 2, 3… without gaps',
      );
    }
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
