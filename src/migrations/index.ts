export { applyMigrations, readSchemaVersion, schemaVersion, type MigrationResult } from './apply.js';
export { MigrationChecksumError, MigrationFailedError, MigrationFilesError, MigrationHistoryError } from './errors.js';
export { latestVersion, loadMigrations, migrationFile, type Migration } from './load.js';
