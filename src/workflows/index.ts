export { provisionDatabase, provisionStatusQuery } from './provision.js';
export { fleetMigration, migrateTenantDatabase } from './fleet-migration.js';
