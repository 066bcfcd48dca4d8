/** Where a user's database stands, as Clerk's `publicMetadata.database.status` says. */
export type DatabaseStatus = 'ready' | 'deleting' | 'deleted' | 'failed';

/** Why a database is in its region: the user's sign-up choice, their sign-up IP's country, or the default. */
export type RegionSource = 'sign-up' | 'ip' | 'default';

/** What per-user-db writes to Clerk's `publicMetadata.database`. No secrets, ever. */
export interface DatabaseMetadata {
  status: DatabaseStatus;
  provider: string;
  name: string;
  region: string;
  regionSource?: RegionSource;
  /** Why the region the user asked for at sign-up was not used. */
  regionIgnored?: string;
  schemaVersion: number;
  provisionedAt: string;
}
