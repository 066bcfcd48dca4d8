import { readdir, readFile } from 'node:fs/promises';

/** The kernel's USER_HZ: /proc counts CPU time in these ticks (100 on every Linux architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; with `reaped`, plus that of
 * its children that ended and were waited for (PostgreSQL's postmaster and its per-connection backends).
 */
export async function cpuMsOf(pid: number, { reaped = false } = {}): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the
  // 15th, cutime and cstime (children waited for) the 16th and 17th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, ...(reaped ? [13, 14] : [])].reduce((sum, i) => sum + Number(fields[i]), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/**
 * The pid of the topmost descendant of this process whose command name starts with `name` (the Temporal dev
 * server: a child in memory, a grandchild under its watchdog with a SQLite file; PostgreSQL's postmaster).
 */
export async function childPid(name: string): Promise<number | undefined> {
  const processes: Array<{ pid: number; ppid: number; comm: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    processes.push({ pid: Number(entry), ppid, comm });
  }
  const ours = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of processes) {
      if (ours.has(p.ppid) && !ours.has(p.pid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  const named = (p: { comm: string }) => p.comm.startsWith(name);
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  // The topmost of its name: PostgreSQL's backends are the postmaster's children under the same name, and pids
  // wrap (pid_max 32768 here), so a backend can come before the postmaster in /proc and end before it is read.
  return processes.find((p) => {
    const parent = byPid.get(p.ppid);
    return p.pid !== process.pid && ours.has(p.pid) && named(p) && !(parent && named(parent));
  })?.pid;
}

/** A process to watch: its pid, or its pid and whether its ended children count (see `cpuMsOf`). */
type Watched = number | undefined | { pid: number | undefined; reaped: boolean };

/** CPU ms used by each named process between `start` and `stop()`; a process that is gone counts as NaN. */
export function watchCpu(pids: Record<string, Watched>) {
  const read = (watched: Watched) => {
    const { pid, reaped } = typeof watched === 'object' ? watched : { pid: watched, reaped: false };
    return pid === undefined ? Promise.resolve(NaN) : cpuMsOf(pid, { reaped }).catch(() => NaN);
  };
  const names = Object.keys(pids);
  const before = Promise.all(names.map((n) => read(pids[n])));
  const ownBefore = process.cpuUsage();
  return {
    async stop(): Promise<Record<string, number>> {
      const own = process.cpuUsage(ownBefore);
      const after = await Promise.all(names.map((n) => read(pids[n])));
      const start = await before;
      return {
        ...Object.fromEntries(names.map((n, i) => [n, after[i]! - start[i]!])),
        bench: (own.user + own.system) / 1000,
      };
    },
  };
}
