/** The migration files themselves are wrong (a bad name, a duplicate or missing number). Permanent. */
export class MigrationFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationFilesError';
  }
}

/** A file that was already applied to the database has since been edited or renamed. Permanent. */
export class MigrationChecksumError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'MigrationChecksumError';
  }
}

/**
 * The database's migration record does not fit the files: it is at a newer version than the newest file (a
 * newer release migrated it), or its record has a hole.
 */
export class MigrationHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationHistoryError';
  }
}

/** A migration's SQL failed; the whole batch was rolled back, so the database is still at its old version. */
export class MigrationFailedError extends Error {
  constructor(
    readonly file: string,
    readonly fromVersion: number,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const code = (cause as { code?: unknown } | null)?.code;
    super(
      `Migration ${file} failed${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}: ${detail}. ` +
        `Nothing was applied; the database is still at version ${fromVersion}.`,
      { cause },
    );
    this.name = 'MigrationFailedError';
  }
}
