import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment, type DevServerConfig, type EphemeralServerExecutable } from '@temporalio/testing';
import { SETUP_HINT } from '../../scripts/setup-temporal.mjs';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { spawnTiedToParent, stopStaleProcess } from './child-lifetime.js';
import { isListening, waitUntil } from './ports.js';

export interface TemporalDevServerOptions {
  /** From temporalExecutable(env): an installed CLI, or the SDK's download. */
  executable: EphemeralServerExecutable;
  port: number;
  uiPort: number;
  /** SQLite file that keeps workflows across restarts. */
  dbFile: string;
  namespace: string;
  /** Where the server's pid is kept while it runs (default `<dbFile>.pid`), to stop one a crash left behind. */
  pidFile?: string;
  /** Where the server's own output goes (appended). */
  logFile: string;
  ip?: string;
  /** More `temporal server start-dev` arguments (the bench's metrics port, settings it compares). */
  extraArgs?: string[];
  startTimeoutMs?: number;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export { SETUP_HINT };

/**
 * One partition per task queue. The server's default of 4 lets a poller on one partition wait while a task sits
 * on another (a start can take seconds under load); a dev server has no load to spread, so one is enough.
 */
const SINGLE_PARTITION_ARGS = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

/**
 * The CLI turns the server's search-attribute cache off (so an attribute created at run time shows at once): every
 * start, workflow task completion and upsert then reads the cluster metadata from SQLite, a third of a sign-up's
 * persistence calls, all queued on the dev server's one SQLite connection. Ours are registered at launch
 * (`--search-attribute`); one created later reaches starts and upserts within the cache's minute, and the
 * operator API's list (our preflight) still reads it at once.
 */
const SEARCH_ATTRIBUTE_CACHE_ARGS = ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'];

/**
 * The SQLite file in write-ahead-log mode, synced at checkpoints rather than at every commit: a committed write
 * survives the server being killed, only a machine crash can lose the last ones. SQLite's default journal cost
 * the server ~half its CPU per sign-up in a 300-user burst (bench/profiles/2026-11-29-issue15-s4/burst.md).
 */
export const SQLITE_FILE_ARGS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

/** The dynamic config every dev server of ours runs with (`npm start`, tests, bench, docker-compose.yml). */
export const DEV_SERVER_DYNAMIC_CONFIG_ARGS = [...SINGLE_PARTITION_ARGS, ...SEARCH_ATTRIBUTE_CACHE_ARGS];

/** `--metrics-port` when one is asked for (the server picks a free port otherwise, and only prints it). */
export const metricsPortArgs = (port?: number): string[] =>
  port === undefined ? [] : ['--metrics-port', String(port)];

const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` for each of our search attributes (also used by docker-compose.yml). */
export function searchAttributeArgs(
  keys: ReadonlyArray<{ name: string; type: SearchAttributeType }> = SEARCH_ATTRIBUTES,
): string[] {
  return keys.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}

/** The exact `temporal` arguments the local stack runs. Registering search attributes again on a persisted db is fine. */
export function devServerArgs(options: Omit<TemporalDevServerOptions, 'executable' | 'logFile' | 'pidFile'>): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    options.ip ?? '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    ...SQLITE_FILE_ARGS,
    '--namespace',
    options.namespace,
    ...searchAttributeArgs(),
    ...DEV_SERVER_DYNAMIC_CONFIG_ARGS,
    '--ui-disable-news-fetch',
    '--log-level',
    'error',
    ...(options.extraArgs ?? []),
  ];
}

async function namespaceAnswers(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: '2s' });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const devServerPidFile = (options: Pick<TemporalDevServerOptions, 'dbFile' | 'pidFile'>) =>
  options.pidFile ?? `${options.dbFile}.pid`;

/**
 * Stops a dev server that a previous run on the same db file left running (it crashed before the watchdog
 * existed, or the watchdog was killed too); it would hold the port and the SQLite file.
 */
export function stopStaleDevServer(options: Pick<TemporalDevServerOptions, 'dbFile' | 'pidFile'>): Promise<boolean> {
  return stopStaleProcess(devServerPidFile(options), /temporal.*start-dev/);
}

async function spawnDevServer(path: string, options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const host = options.ip ?? '127.0.0.1';
  const address = `${host}:${options.port}`;
  const pidFile = devServerPidFile(options);
  await stopStaleDevServer(options);
  const log = createWriteStream(options.logFile, { flags: 'a' });
  // Under the watchdog: the server dies with this process, even a SIGKILLed one, and a Ctrl-C in the terminal
  // reaches only us (the watchdog ignores it), so we stop the server after the worker.
  const child = spawnTiedToParent(path, devServerArgs(options), pidFile);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  // Should this process end without stop() (a crash, process.exit), the server must not outlive it.
  const killOnExit = () => child.kill('SIGTERM');
  process.on('exit', killOnExit);
  let exitedEarly: string | undefined;
  child.once('exit', (code, signal) => (exitedEarly = `exited with ${signal ?? `code ${code}`}`));
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child);
    log.end();
  };
  try {
    await waitUntil(
      `the Temporal dev server on ${address}`,
      async () => {
        if (exitedEarly) throw new Error(`The Temporal dev server ${exitedEarly}; see ${options.logFile}.`);
        return (await namespaceAnswers(address, options.namespace)) && isListening(host, options.uiPort);
      },
      options.startTimeoutMs ?? 60_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, uiUrl: `http://localhost:${options.uiPort}`, stop };
}

/**
 * A dev server run by the SDK (`TestWorkflowEnvironment.createLocal`), in memory unless `dbFilename` is given,
 * with our search attributes and dynamic config (DEV_SERVER_DYNAMIC_CONFIG_ARGS). When the executable is the SDK's download
 * and that fails, the error says what to do instead.
 */
export async function startSdkDevServer(
  server: Omit<DevServerConfig, 'type' | 'searchAttributes'> & { executable: EphemeralServerExecutable },
): Promise<TestWorkflowEnvironment> {
  try {
    return await TestWorkflowEnvironment.createLocal({
      server: {
        searchAttributes: SEARCH_ATTRIBUTES,
        log: { format: 'pretty', level: 'error' },
        ...server,
        extraArgs: [...DEV_SERVER_DYNAMIC_CONFIG_ARGS, ...(server.extraArgs ?? [])],
      },
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (server.executable.type === 'cached-download' && /download/i.test(reason)) {
      throw new Error(`No Temporal CLI was found and downloading one failed (offline?). ${SETUP_HINT}`, {
        cause: error,
      });
    }
    throw new Error(`The Temporal dev server did not start: ${reason}`, { cause: error });
  }
}

/** No installed CLI: the SDK downloads one (needs internet) and runs it with the same settings. */
async function downloadAndRunDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const env = await startSdkDevServer({
    executable: options.executable,
    ip: options.ip ?? '127.0.0.1',
    port: options.port,
    ui: true,
    uiPort: options.uiPort,
    dbFilename: options.dbFile,
    namespace: options.namespace,
    extraArgs: ['--ui-disable-news-fetch', ...SQLITE_FILE_ARGS, ...(options.extraArgs ?? [])],
  });
  return { address: env.address, uiUrl: `http://localhost:${options.uiPort}`, stop: () => env.teardown() };
}

/** Runs `temporal server start-dev` as a child process and waits until its namespace and Web UI answer. */
export function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  return options.executable.type === 'existing-path'
    ? spawnDevServer(options.executable.path, options)
    : downloadAndRunDevServer(options);
}
