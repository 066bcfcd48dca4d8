import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './ports.js';

const WATCHDOG = fileURLToPath(new URL('./parent-watchdog.mjs', import.meta.url));

/**
 * Runs `command` under the parent watchdog: it dies with this process even when this process is SIGKILLed
 * (the watchdog sees its stdin pipe close), and its pid is kept in `pidFile` for `stopStaleProcess`.
 * Signals and exit are the watchdog's, which passes SIGTERM on and exits when the command does.
 */
export function spawnTiedToParent(command: string, args: string[], pidFile: string): ChildProcess {
  return spawn(process.execPath, [WATCHDOG, 'run', pidFile, command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export interface ProcessGuard {
  /** The process was stopped the ordinary way: the guard leaves. */
  release(): Promise<void>;
}

/** Sends `signal` to `pid` (a process this one did not spawn itself) when this process exits, however it exits. */
export function guardProcess(pid: number, signal: NodeJS.Signals): ProcessGuard {
  const watchdog = spawn(process.execPath, [WATCHDOG, 'kill', String(pid), signal], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  return {
    async release() {
      if (watchdog.exitCode !== null || watchdog.signalCode !== null) return;
      const exited = once(watchdog, 'exit');
      watchdog.kill('SIGTERM');
      await exited;
    },
  };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * A process a previous run left behind (it crashed before stopping it, or predates the watchdog) still holds its
 * port and files: stop it when `pidFile` names a live process whose command line matches `expected` (a pid
 * reused by an unrelated process is left alone). Returns whether one was stopped.
 */
export async function stopStaleProcess(
  pidFile: string,
  expected: RegExp,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<boolean> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return false;
  if (!expected.test((await commandLine(pid)) ?? '')) return false;
  // A zombie (exited, not yet reaped by whoever inherited it) has an empty command line.
  const gone = async () => !alive(pid) || !(await commandLine(pid));
  process.kill(pid, signal);
  try {
    await waitUntil(`the stale process ${pid} to exit`, gone, 15_000);
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitUntil(`the stale process ${pid} to exit after SIGKILL`, gone, 5_000);
  }
  return true;
}
