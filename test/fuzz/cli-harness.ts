/**
 * Runs the operator CLI's commands in this one process, case after case, for the CLI fuzz (a process a case
 * is too slow). The parent sends `{ args, env }` over IPC and gets `{ code, stdout, stderr }` back. The
 * commands are the real ones (src/cli/*.js registered as src/cli.ts registers them); only process.exit and
 * the output streams are intercepted, which is why this runs in a child process of its own.
 */
import { Command } from 'commander';
import { registerMigrateCommand } from '../../src/cli/migrate.js';
import { registerOpsCommands } from '../../src/cli/ops.js';
import { exitWithError } from '../../src/cli/process.js';

class Exit {
  constructor(readonly code: number) {}
}

let stdout = '';
let stderr = '';
const capture = (append: (text: string) => void) =>
  ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof process.stdout.write;
process.stdout.write = capture((t) => (stdout += t));
process.stderr.write = capture((t) => (stderr += t));
process.exit = ((code?: number) => {
  throw new Exit(code ?? 0);
}) as typeof process.exit;

async function run(args: string[], env: Record<string, string>): Promise<number> {
  const program = new Command('per-user-db').showHelpAfterError();
  registerMigrateCommand(program, () => env);
  registerOpsCommands(program, () => env);
  try {
    process.exitCode = undefined;
    await program.parseAsync(args, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof Exit) return error.code;
    try {
      exitWithError(error); // what src/cli.ts does with anything the program throws
    } catch (exit) {
      if (exit instanceof Exit) return exit.code;
      throw exit;
    }
  }
}

process.on('message', (message: { args: string[]; env: Record<string, string> }) => {
  stdout = '';
  stderr = '';
  void run(message.args, message.env).then(
    (code) => process.send!({ code, stdout, stderr }),
    (error: unknown) => process.send!({ code: -1, stdout, stderr: `${stderr}harness: ${String(error)}` }),
  );
});
process.send!({ ready: true });
