import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export type ServiceName = 'worker' | 'webhook';

/** Resident memory of one process, in MiB. */
export interface MemoryPeak {
  /** Highest VmRSS seen by the sampler while the window was open. */
  peakRssMb: number;
  /** The kernel's high-water mark (VmHWM) at the window's end: includes start-up (workflow bundling). */
  hwmMb: number;
}

export interface ServiceProcess {
  name: ServiceName;
  pid: number;
  /** Starts sampling VmRSS (every `everyMs`); `stop()` answers the peak since then. */
  watchMemory(everyMs?: number): { stop(): Promise<MemoryPeak> };
  stop(): Promise<void>;
}

async function memoryOf(pid: number): Promise<{ rssMb: number; hwmMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** How the services run: the built JS as deployed (`npm run build`), or the sources under tsx. */
export type ServiceRuntime = 'dist' | 'tsx';

/**
 * The process settings the product image gives every service: each `ENV` of the Dockerfile's `product` stage
 * (NODE_ENV, NODE_OPTIONS: V8's young generation, MALLOC_ARENA_MAX: glibc's arenas), so the bench measures
 * them as deployed. `BENCH_NODE_OPTIONS` is appended to NODE_OPTIONS (e.g. a sampler to `--require`).
 */
async function imageProcessEnv(): Promise<Record<string, string>> {
  const dockerfile = await readFile(join(REPO, 'Dockerfile'), 'utf8');
  const stage = /^FROM \S+ AS product$([\s\S]*?)^FROM /m.exec(dockerfile)?.[1] ?? '';
  const env: Record<string, string> = Object.fromEntries(
    [...stage.matchAll(/^ENV (.*)$/gm)].flatMap(([, line]) =>
      [...line!.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map(([, k, v]) => [k!, v!.replace(/^"|"$/g, '')]),
    ),
  );
  const extra = process.env.BENCH_NODE_OPTIONS;
  if (extra) env.NODE_OPTIONS = [env.NODE_OPTIONS, extra].filter(Boolean).join(' ');
  return env;
}

const ENTRY: Record<ServiceRuntime, string[]> = {
  dist: ['dist/cli.js'],
  tsx: ['--import', 'tsx', 'src/cli.ts'],
};

/**
 * Runs `per-user-db worker|webhook` (dist/cli.js, or src/cli.ts under tsx; one Node process, so /proc/<pid> is
 * the service itself) with the image's process settings and the environment given, its output appended to `logFile`. Resolves once it
 * is ready: the receiver answers /healthz, the worker has logged "worker started".
 */
export async function startServiceProcess(
  name: ServiceName,
  env: Record<string, string>,
  options: {
    logFile: string;
    runtime: ServiceRuntime;
    healthUrl?: string;
    timeoutMs?: number;
    /** V8 CPU profiles of the whole process (`--cpu-prof`), written to this folder when it exits. */
    cpuProfDir?: string;
  },
): Promise<ServiceProcess> {
  // Node refuses --cpu-prof in NODE_OPTIONS: it goes on the command line.
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...profile, ...ENTRY[options.runtime], name], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(await imageProcessEnv()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  child.stderr.pipe(log, { end: false });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  let started = false;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    log.write(`${line}\n`);
    if (line.includes('"worker started"')) started = true;
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (exited) throw new Error(`The ${name} process ${exited} while starting; see ${options.logFile}`);
    if (name === 'worker' ? started : await answers(options.healthUrl!)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`The ${name} process did not get ready in time; see ${options.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const pid = child.pid!;
  return {
    name,
    pid,
    watchMemory(everyMs = 100) {
      let peak = 0;
      const sample = () =>
        memoryOf(pid).then(
          (m) => (peak = Math.max(peak, m.rssMb)),
          () => undefined,
        );
      void sample();
      const timer = setInterval(sample, everyMs);
      return {
        async stop() {
          clearInterval(timer);
          const last = await memoryOf(pid);
          const round = (v: number) => Math.round(v * 10) / 10;
          return { peakRssMb: round(Math.max(peak, last.rssMb)), hwmMb: round(last.hwmMb) };
        },
      };
    },
    async stop() {
      process.off('exit', killOnExit);
      await stopChild(child);
      log.end();
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
