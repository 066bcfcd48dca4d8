import {
  describeProgress,
  formatDuration,
  type FleetProgress,
  type FleetReport,
  type TenantMigrationResult,
} from '../workflows/fleet-migration-state.js';

const BAR_WIDTH = 24;

/** A bar filled to `share` (0–1), the percentage, then `text`. */
export function bar(share: number, text: string): string {
  const filled = Math.round(share * BAR_WIDTH);
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${percent}  ${text}`;
}

export function progressBar(p: FleetProgress): string {
  const finished = p.done + p.failed;
  return bar(p.total ? Math.min(1, finished / p.total) : 0, describeProgress(p));
}

export function formatReport(report: FleetReport): string {
  const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  if (report.targetVersion === undefined) return formatRotationReport(report, seconds);
  const lines = [
    `Schema rollout to v${report.targetVersion} ${report.state} after ${formatDuration(seconds)} ` +
      `(${report.ratePerSecond} tenants/s): ${report.done} tenants at v${report.targetVersion} ` +
      `(${report.migrated} migrated, ${report.upToDate} already up to date), ${report.failed} failed` +
      (report.pending ? `, ${report.pending} not reached` : '') +
      '.',
    `Clerk: ${report.clerk.updated} users' schemaVersion updated, ${report.clerk.failed} failed.`,
  ];
  if (report.orphans > 0) lines.push(...formatOrphans(report));
  if (report.failures.length > 0) {
    lines.push('Failures:');
    for (const f of report.failures) lines.push(`  ${f.userId} (${f.name}) [${f.stage}]: ${f.error}`);
    if (report.failuresOmitted > 0) lines.push(`  …and ${report.failuresOmitted} more (not kept)`);
    lines.push(
      'Fix the cause, then retry one tenant with `per-user-db migrate --user <userId>`, or run ' +
        '`per-user-db migrate` again: tenants already at the new version are skipped in a moment.',
    );
  }
  return lines.join('\n');
}

/** Orphans are not failures: their databases were migrated, but the Clerk user is gone. */
function formatOrphans(report: FleetReport): string[] {
  const omitted = report.orphans - report.orphanUserIds.length;
  return [
    `${report.orphans} orphaned databases (Clerk user gone): run \`per-user-db reconcile\` to review/remove them.`,
    `  ${report.orphanUserIds.join(', ')}${omitted > 0 ? ` …and ${omitted} more` : ''}`,
  ];
}

function formatRotationReport(report: FleetReport, seconds: number): string {
  const lines = [
    `Credential rotation ${report.state} after ${formatDuration(seconds)} (${report.ratePerSecond} tenants/s): ` +
      `${report.migrated} tenants on the current TENANT_PASSWORD_SECRET, ${report.upToDate} gone meanwhile, ` +
      `${report.failed} failed` +
      (report.pending ? `, ${report.pending} not reached` : '') +
      '.',
  ];
  for (const f of report.failures) lines.push(`  ${f.userId} (${f.name}): ${f.error}`);
  if (report.failed > 0 || report.state !== 'completed') {
    lines.push('Keep TENANT_PASSWORD_SECRET_PREVIOUS set and run `per-user-db rotate-credentials` again.');
  }
  return lines.join('\n');
}

export function formatTenantResult(r: TenantMigrationResult): string {
  return r.applied.length > 0
    ? `${r.userId} (${r.name}): migrated from v${r.fromVersion} to v${r.toVersion}`
    : `${r.userId} (${r.name}): already at v${r.toVersion}, nothing to do`;
}

/** 0 when every tenant reached the target (and Clerk knows), 1 otherwise (failures, a cancelled rollout). */
export function reportExitCode(report: FleetReport): number {
  return report.state === 'completed' && report.failed === 0 && report.clerk.failed === 0 ? 0 : 1;
}
