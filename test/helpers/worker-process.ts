import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  /** The worker's own process id (node itself, not a wrapper such as npx): what a kill reaches. */
  pid: number;
  /** Resolves once the worker logged that it polls its task queues. */
  started: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

/** `per-user-db worker` (src/cli.ts under tsx) as a separate process, configured only by the environment given. */
export const startWorkerProcess = (env: Record<string, string>) => startServiceProcess('worker', env);

/** The line each service logs once it serves. */
const STARTED_LINE = { worker: '"worker started"', webhook: '"webhook receiver listening"' };

/** `per-user-db worker|webhook` (src/cli.ts under tsx) as a separate process, configured by `env` only. */
export function startServiceProcess(command: 'worker' | 'webhook', env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', command], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the worker process did not start');
  let output = '';
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(STARTED_LINE[command])) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code, signal }) =>
      reject(new Error(`${command} process exited (${code ?? signal}) before starting:\n${output}`)),
    );
  });
  return {
    pid: child.pid,
    started,
    exited,
    output: () => output,
    kill: (signal) => child.kill(signal),
  };
}
