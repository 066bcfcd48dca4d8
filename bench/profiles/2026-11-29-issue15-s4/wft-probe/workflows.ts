/**
 * Probe workflows: the same three sequential activities as provisioning, with our additions one at a time.
 * `provisionDatabase` itself is re-exported so it runs in the same bundle against no-op activities.
 */
import { defineQuery, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { PROVIDER, STATUS } from '../../../../src/workflows/search-attributes.js';

export { provisionDatabase } from '../../../../src/workflows/index.js';

interface Noop {
  createDatabase(input: unknown): Promise<{ provider: 'postgres'; name: string; region: string }>;
  applyMigrations(db: unknown): Promise<{ schemaVersion: number; applied: number[] }>;
  recordOnClerkIfUserExists(userId: string, metadata: unknown): Promise<boolean>;
}
const a = proxyActivities<Noop>({ startToCloseTimeout: '1 minute' });

export interface ProbeOptions {
  summaries?: boolean;
  upsert?: boolean;
  log?: boolean;
  query?: boolean;
}

const status = defineQuery<string>('status');

export async function probe(userId: string, o: ProbeOptions): Promise<{ status: string }> {
  let state = 'provisioning';
  if (o.query) setHandler(status, () => state);
  const opts = (summary: string) => (o.summaries ? { summary } : {});
  const tenant = await a.createDatabase.executeWithOptions(opts(`create the database of ${userId}`), [{ userId }]);
  if (o.upsert) upsertSearchAttributes([{ key: PROVIDER, value: tenant.provider }]);
  await a.applyMigrations.executeWithOptions(opts(`apply the tenant schema to ${tenant.name}`), [tenant]);
  await a.recordOnClerkIfUserExists.executeWithOptions(opts(`record ${tenant.name}`), [userId, tenant]);
  state = 'ready';
  if (o.upsert) upsertSearchAttributes([{ key: STATUS, value: state }]);
  if (o.log) log.info('database ready', { userId, database: tenant.name });
  return { status: state };
}
