import { readdir, readFile } from 'node:fs/promises';

/** The kernel's USER_HZ: /proc counts CPU time in these ticks (100 on every Linux architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/** One process as /proc/<pid>/stat shows it; CPU times in ms. */
interface ProcessStat {
  pid: number;
  ppid: number;
  comm: string;
  /** Clock ticks after boot: with the pid, names one process even after pids wrap (pid_max 32768 here). */
  startTime: string;
  /** utime + stime: its own CPU. */
  ownMs: number;
  /** cutime + cstime: that of its children that ended and were waited for. */
  reapedMs: number;
}

async function statOf(pid: number): Promise<ProcessStat | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return undefined;
  // Fields after the command name (which may hold spaces): ppid is the 4th field, utime the 14th, stime the 15th,
  // cutime and cstime the 16th and 17th, starttime the 22nd.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (...indexes: number[]) =>
    (indexes.reduce((sum, i) => sum + Number(fields[i]), 0) * 1000) / TICKS_PER_SECOND;
  return {
    pid,
    ppid: Number(fields[1]),
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    startTime: fields[19]!,
    ownMs: ms(11, 12),
    reapedMs: ms(13, 14),
  };
}

/** Every process now, and the descendants of `root` among them. */
async function processTree(root: number): Promise<{ all: ProcessStat[]; descendants: ProcessStat[] }> {
  const all: ProcessStat[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await statOf(Number(entry));
    if (stat) all.push(stat);
  }
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (inTree.has(p.ppid) && !inTree.has(p.pid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  return { all, descendants: all.filter((p) => p.pid !== root && inTree.has(p.pid)) };
}

/**
 * The pid of the topmost descendant of this process whose command name starts with `name` (the Temporal dev
 * server: a child in memory, a grandchild under its watchdog with a SQLite file; PostgreSQL's postmaster).
 */
export async function childPid(name: string): Promise<number | undefined> {
  const { all, descendants } = await processTree(process.pid);
  const named = (p: ProcessStat) => p.comm.startsWith(name);
  const byPid = new Map(all.map((p) => [p.pid, p]));
  // The topmost of its name: PostgreSQL's backends are the postmaster's children under the same name, and pids
  // wrap, so a backend can come before the postmaster in /proc and end before it is read.
  return descendants.find((p) => {
    const parent = byPid.get(p.ppid);
    return named(p) && !(parent && named(parent));
  })?.pid;
}

/** A process and its descendants at one moment: what each has used, and what the root reaped. */
interface TreeSample {
  root: ProcessStat;
  live: Map<string, number>;
}

async function sampleTree(pid: number): Promise<TreeSample> {
  const root = await statOf(pid);
  if (!root) throw new Error(`process ${pid} is gone`);
  const { descendants } = await processTree(pid);
  return { root, live: new Map(descendants.map((p) => [`${p.pid}@${p.startTime}`, p.ownMs])) };
}

/**
 * CPU a process tree used between two samples: the root's own, each descendant's (those that ended in between
 * are in the root's reaped time, less what they had used before the first sample; those still running count what
 * they used since it, or all of it when they started after it). PostgreSQL counts its backends this way: reaped
 * time alone lands in the window a backend ends in, such as a previous scenario's worker connections closing.
 */
function treeCpuBetween(start: TreeSample, stop: TreeSample): number {
  let ms = stop.root.ownMs - start.root.ownMs + (stop.root.reapedMs - start.root.reapedMs);
  for (const [key, before] of start.live) if (!stop.live.has(key)) ms -= before;
  for (const [key, after] of stop.live) ms += after - (start.live.get(key) ?? 0);
  return ms;
}

/** A process to watch: its pid (its own CPU), or a pid whose descendants count too (see `treeCpuBetween`). */
type Watched = number | undefined | { tree: number | undefined };

/** CPU ms used by each named process between `start` and `stop()`; a process that is gone counts as NaN. */
export function watchCpu(pids: Record<string, Watched>) {
  const sample = (watched: Watched): Promise<number | TreeSample> => {
    if (typeof watched === 'object') {
      return watched.tree === undefined ? Promise.resolve(NaN) : sampleTree(watched.tree).catch(() => NaN);
    }
    if (watched === undefined) return Promise.resolve(NaN);
    return statOf(watched).then((stat) => stat?.ownMs ?? NaN);
  };
  const between = (start: number | TreeSample, stop: number | TreeSample) =>
    typeof start === 'number' || typeof stop === 'number' ? Number(stop) - Number(start) : treeCpuBetween(start, stop);
  const names = Object.keys(pids);
  const before = Promise.all(names.map((n) => sample(pids[n])));
  const ownBefore = process.cpuUsage();
  return {
    async stop(): Promise<Record<string, number>> {
      const own = process.cpuUsage(ownBefore);
      const after = await Promise.all(names.map((n) => sample(pids[n])));
      const start = await before;
      return {
        ...Object.fromEntries(names.map((n, i) => [n, between(start[i]!, after[i]!)])),
        bench: (own.user + own.system) / 1000,
      };
    },
  };
}
