import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { ConfigError } from '../config/index.js';

/** Where `npm start` keeps its state, and the settings file it writes there for the CLI. */
const DEFAULT_DATA_DIR = '.data';
const LOCAL_ENV_FILE = 'local.env';

/**
 * The CLI's environment: the process's variables, then `.env` in the working directory, then the settings the
 * local stack (`npm start`) generated (`PER_USER_DB_ENV_FILE`, or `local.env` in DATA_DIR, `.data` by default),
 * each source filling only variables still unset. So every command works next to a running `npm start` with
 * nothing typed by hand, and anything set explicitly wins.
 */
export function loadCliEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  loadDotenv({ quiet: true, processEnv: env });
  const explicit = env.PER_USER_DB_ENV_FILE?.trim();
  if (explicit) {
    if (!existsSync(explicit)) throw new ConfigError([`PER_USER_DB_ENV_FILE: ${explicit} does not exist`]);
    loadDotenv({ quiet: true, path: explicit, processEnv: env });
    return env;
  }
  const local = join(env.DATA_DIR?.trim() || DEFAULT_DATA_DIR, LOCAL_ENV_FILE);
  if (existsSync(local)) loadDotenv({ quiet: true, path: local, processEnv: env });
  return env;
}
