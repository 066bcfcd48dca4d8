export { provisionDatabase, provisionStatusQuery } from './provision.js';
export { deprovisionDatabase, deprovisionStatusQuery, restoreUpdate } from './deprovision.js';
export { fleetMigration, migrateTenantDatabase } from './fleet-migration.js';
export { reconcileDatabases } from './reconcile.js';
export { credentialRotation } from './credential-rotation.js';
