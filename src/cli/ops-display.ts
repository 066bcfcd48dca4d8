import type { DatabaseStatus } from '../client/status.js';
import type { DeprovisionState } from '../workflows/deprovision-state.js';
import {
  describeReconcile,
  reconcileShare,
  type ReconcileProgress,
  type ReconcileReport,
} from '../workflows/reconcile-state.js';
import { bar } from './migrate-display.js';

/** Columns padded to their widest cell, a rule under the header. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Label: value lines, labels aligned. */
export function formatFields(fields: Array<[string, string | number | undefined]>): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields
    .filter(([, value]) => value !== undefined)
    .map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${value}`)
    .join('\n');
}

export function formatStatus(s: DatabaseStatus): string {
  const fields: Array<[string, string | number | undefined]> = [
    ['user', s.userId],
    ['status', s.status],
    ['database', s.database?.name],
    ['provider', s.database?.provider],
    ['region', s.database?.region],
    ['schema', s.database ? `v${s.database.schemaVersion}` : undefined],
    ['provisioned', s.database?.provisionedAt],
    ['workflow', s.workflowId],
    ['temporal ui', s.temporalUiUrl],
  ];
  const failed = s.steps.filter((step) => step.state === 'failed');
  for (const step of failed) fields.push([`failed step`, `${step.name}: ${step.error ?? 'unknown error'}`]);
  return formatFields(fields);
}

/** A deletion ended by `restore`: the database is kept and unlocked. */
export function formatRestored(s: DeprovisionState): string {
  return `${s.userId}: deletion stopped (${s.status}); the database is kept and unlocked`;
}

export const reconcileBar = (p: ReconcileProgress): string => bar(reconcileShare(p), describeReconcile(p));

const idList = (ids: string[], total: number) =>
  [...ids.map((id) => `  ${id}`), ...(total > ids.length ? [`  …and ${total - ids.length} more`] : [])].join('\n');

export function formatReconcileReport(r: ReconcileReport): string {
  const seconds = Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000);
  const lines = [
    `Reconciliation${r.dryRun ? ' plan (dry run: nothing changed)' : ''} after ${seconds}s: ` +
      `${r.usersScanned} Clerk users, ${r.databasesScanned} databases scanned.`,
  ];
  const provisionVerb = r.dryRun ? 'would be provisioned' : `provisioning started for ${r.provisioningStarted}`;
  lines.push(`Users without a database: ${r.toProvision} (${provisionVerb})`);
  if (r.toProvisionIds.length > 0) lines.push(idList(r.toProvisionIds, r.toProvision));
  const orphanVerb =
    r.removeOrphans && !r.dryRun
      ? `deprovisioning started for ${r.orphansRemoved}`
      : r.removeOrphans
        ? 'would be removed'
        : 'reported only; remove them with --remove-orphans';
  lines.push(`Orphan databases (no Clerk user): ${r.orphans} (${orphanVerb})`);
  if (r.orphanIds.length > 0) lines.push(idList(r.orphanIds, r.orphans));
  if (r.failures.length > 0) {
    lines.push(`Failures: ${r.failed}`);
    for (const f of r.failures) lines.push(`  ${f.userId} [${f.action}]: ${f.error}`);
  }
  return lines.join('\n');
}
