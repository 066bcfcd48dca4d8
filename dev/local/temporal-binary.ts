import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the Temporal CLI that runs the dev server: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the copy
 * `npm run setup:temporal` installs under .tools/, else the SDK's own cached download (needs internet).
 */
export function temporalExecutable(env: Record<string, string | undefined>): EphemeralServerExecutable {
  const explicit = env.TEMPORAL_CLI_PATH?.trim();
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file. Point it at the temporal CLI binary.`);
    }
    return { type: 'existing-path', path: explicit };
  }
  const candidates = [
    ...(env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'temporal')),
    resolve('.tools/venv/bin/temporal'),
  ];
  const found = candidates.find(isExecutable);
  return found ? { type: 'existing-path', path: found } : { type: 'cached-download' };
}
