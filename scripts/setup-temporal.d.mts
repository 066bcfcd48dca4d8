export const TEMPORAL_CLI_VERSION: string;
/** What to do when no Temporal CLI is found and none could be installed or downloaded. */
export const SETUP_HINT: string;
export function findOnPath(name: string, env: Record<string, string | undefined>): string | undefined;
export function installedCliPath(cwd: string): string;
export function findTemporalCli(env: Record<string, string | undefined>, cwd: string): string | undefined;
export function installTemporalCli(env: Record<string, string | undefined>, cwd: string): Promise<string>;
