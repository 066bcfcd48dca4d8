import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A product process (`per-user-db worker|webhook`, src/cli.ts under tsx) that the chaos run kills and restarts. */
export interface ServiceProcess {
  readonly name: string;
  pid(): number | undefined;
  /** Starts it (again) and resolves once it logged that it is ready. */
  start(): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const READY: Record<'worker' | 'webhook', string> = { worker: '"worker started"', webhook: 'listening' };

export function serviceProcess(
  name: string,
  command: 'worker' | 'webhook',
  env: Record<string, string>,
): ServiceProcess {
  let child: ChildProcess | undefined;
  return {
    name,
    pid: () => child?.pid,
    async start() {
      const started = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', command], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output = (output + chunk.toString('utf8')).slice(-20_000);
          if (output.includes(READY[command])) resolve();
        };
        started.stdout?.on('data', onData);
        started.stderr?.on('data', onData);
        started.once('exit', (code, signal) =>
          reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${output}`)),
        );
      });
    },
    async kill(signal) {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, 'exit');
      running.kill(signal);
      await exited;
    },
  };
}

/** Resident set size (bytes) and open file descriptors of a live process, from /proc. */
export async function processFootprint(pid: number): Promise<{ rssBytes: number; openFds: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssBytes: rssKb * 1024, openFds: (await readdir(`/proc/${pid}/fd`)).length };
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** The most of `times` (ms) in any window of `windowMs`. */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i += 1) {
    while (sorted[j]! <= sorted[i]! - windowMs) j += 1;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
