import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

export const RESULTS_DIR = fileURLToPath(new URL('./results', import.meta.url));
const README = fileURLToPath(new URL('./README.md', import.meta.url));

export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of a sample, in the sample's unit, rounded to 0.1. */
export function distribution(samples: readonly number[]): Distribution {
  if (samples.length === 0) throw new Error('distribution() of an empty sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    min: round(sorted[0]!),
    p50: round(rank(0.5)),
    p95: round(rank(0.95)),
    p99: round(rank(0.99)),
    max: round(sorted.at(-1)!),
    mean: round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
  };
}

export const median = (samples: readonly number[]) => distribution(samples).p50;

const loadNow = () => loadavg().map((v) => Math.round(v * 100) / 100);

/**
 * The 1-minute load average, sampled every few seconds while a scenario runs, with the 1/5/15-minute averages
 * at its start and end (a 15-minute figure far above the 1-minute one says the machine was busy just before).
 */
export function sampleLoad(everyMs = 2_000) {
  const start = loadNow();
  const samples: number[] = [loadavg()[0]!];
  const timer = setInterval(() => samples.push(loadavg()[0]!), everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(loadavg()[0]!);
      const d = distribution(samples);
      return { min: d.min, mean: d.mean, max: d.max, start, end: loadNow() };
    },
  };
}

export type LoadSummary = ReturnType<ReturnType<typeof sampleLoad>['stop']>;

function gitCommit(): { commit: string; dirty: boolean } {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: 'pipe' }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

export function machineInfo() {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memTotalMb: Math.round(totalmem() / 2 ** 20),
    memFreeMb: Math.round(freemem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadNow(),
    ...gitCommit(),
  };
}

/** One scenario's outcome: what the table shows, plus everything measured. */
export interface ScenarioResult {
  scenario: string;
  /** Runs that skipped the scenario say why here and carry no figures. */
  skipped?: string;
  parameters: Record<string, unknown>;
  /** The headline rows: metric, ours, floor, ratio or overhead, target, met. */
  summary: SummaryRow[];
  details: Record<string, unknown>;
  load: LoadSummary;
}

export interface SummaryRow {
  metric: string;
  value: string;
  floor?: string;
  target?: string;
  met?: boolean;
}

export function printTable(result: ScenarioResult): void {
  process.stdout.write(`\n== ${result.scenario} ==\n`);
  if (result.skipped) {
    process.stdout.write(`skipped: ${result.skipped}\n`);
    return;
  }
  const rows = result.summary.map((r) => [r.metric, r.value, r.floor ?? '', r.target ?? '', metText(r.met)]);
  const header = ['metric', 'ours', 'floor', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n';
  process.stdout.write(line(header) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join(''));
  process.stdout.write(`load average (1 min) during the run: ${result.load.min}–${result.load.max}\n`);
}

const metText = (met: boolean | undefined) => (met === undefined ? '' : met ? 'yes' : 'NO');

/** A results file as written by writeResult(). */
export type StoredResult = ScenarioResult & { measuredAt: string; machine: ReturnType<typeof machineInfo> };

/** The previous run's result of the scenario from `dir` (a results directory), if it has one. */
export async function readPrevious(dir: string, scenario: string, quick: boolean): Promise<StoredResult | undefined> {
  for (const name of quick ? [`${scenario}.quick.json`, `${scenario}.json`] : [`${scenario}.json`]) {
    try {
      return JSON.parse(await readFile(join(dir, name), 'utf8')) as StoredResult;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return undefined;
}

const measuredText = (r: StoredResult) =>
  `${r.measuredAt.slice(0, 16)} ${r.machine.commit.slice(0, 7)}${r.machine.dirty ? '+' : ''}, load ${r.load?.min ?? '?'}–${r.load?.max ?? '?'}`;

/** Each metric of this run beside the same metric of a previous one (`--compare <dir>`). */
export function printComparison(result: ScenarioResult, previous: StoredResult | undefined): void {
  if (!previous) {
    process.stdout.write(`(no previous ${result.scenario} result to compare with)\n`);
    return;
  }
  const before = new Map(previous.summary.map((r) => [r.metric, r]));
  const rows = result.summary.map((r) => {
    const old = before.get(r.metric);
    return [r.metric, r.value, old?.value ?? '—', r.floor ?? '', old?.floor ?? ''];
  });
  const header = ['metric', 'now', 'before', 'floor now', 'floor before'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n';
  process.stdout.write(`-- compared with ${measuredText(previous)} --\n`);
  process.stdout.write(line(header) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join(''));
}

/** bench/results/<scenario>.json: the figures with the machine and commit they were measured on. */
export async function writeResult(result: ScenarioResult, quick: boolean): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.scenario}${quick ? '.quick' : ''}.json`);
  const body = { measuredAt: new Date().toISOString(), machine: machineInfo(), quick, ...result };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

const TABLE_START = '<!-- bench:results:start -->';
const TABLE_END = '<!-- bench:results:end -->';

/** Rewrites the table between the markers of bench/README.md from every full-run result file. */
export async function updateReadmeTable(): Promise<void> {
  const files = (await readdir(RESULTS_DIR)).filter((f) => f.endsWith('.json') && !f.endsWith('.quick.json')).sort();
  const results = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(RESULTS_DIR, f), 'utf8')) as StoredResult),
  );
  const lines = [
    '| scenario | metric | ours | floor | target | met | measured (commit, load) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const when = `${r.measuredAt.slice(0, 10)} ${r.machine.commit.slice(0, 7)}${r.machine.dirty ? '+' : ''}, load ${r.load?.min ?? '?'}–${r.load?.max ?? '?'}`;
    if (r.skipped) lines.push(`| ${r.scenario} | skipped: ${r.skipped} | | | | | ${when} |`);
    for (const row of r.summary) {
      lines.push(
        `| ${r.scenario} | ${row.metric} | ${row.value} | ${row.floor ?? ''} | ${row.target ?? ''} | ${metText(row.met)} | ${when} |`,
      );
    }
  }
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`bench/README.md lacks the ${TABLE_START} … ${TABLE_END} markers`);
  const table = `${TABLE_START}\n${lines.join('\n')}\n${TABLE_END}`;
  const text = readme.slice(0, start) + table + readme.slice(end + TABLE_END.length);
  // Formatted as `npm run lint` checks it, so a bench run never leaves the tree failing lint.
  const options = await resolveConfig(README);
  await writeFile(README, await format(text, { ...options, filepath: README }));
}

/** Milliseconds as text with one decimal. */
export const ms = (v: number) => `${v.toFixed(1)} ms`;
export const ratio = (ours: number, floor: number) => `${(ours / floor).toFixed(2)}×`;
