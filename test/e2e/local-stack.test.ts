import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { freePort } from '../../dev/local/free-port.js';
import { isPortFree, PortInUseError } from '../../dev/local/ports.js';
import { startLocalStack } from '../../dev/local/stack.js';
import { SETUP_HINT, startTemporalDevServer } from '../../dev/local/temporal-dev-server.js';
import { createClerkApi } from '../../src/clerk/client.js';
import type { DatabaseStatus } from '../../src/client/status.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { eventually } from '../helpers/pipeline.js';
import { stackPorts } from './stack-ports.js';

async function stackEnv(dataDir: string) {
  return {
    ...process.env,
    DATABASE_URL: undefined,
    TEMPORAL_ADDRESS: undefined,
    CLERK_SECRET_KEY: undefined,
    DATA_DIR: dataDir,
    ...(await stackPorts()),
    LOG_LEVEL: 'warn',
  };
}

const PORT_VARS = [
  'PORT',
  'CLERK_STAND_IN_PORT',
  'TEMPORAL_PORT',
  'TEMPORAL_UI_PORT',
  'EMBEDDED_POSTGRES_PORT',
] as const;

function listen(port: number): Promise<Server> {
  return new Promise((resolveServer) => {
    const server = createServer();
    server.listen(port, '127.0.0.1', () => resolveServer(server));
  });
}

const quiet = () => undefined;

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** `per-user-db <args>` in an empty folder (no .env) with no settings but PATH and `env`. */
async function cliWithOnly(cwd: string, env: Record<string, string>, args: string[]) {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/**
 * Next to the running stack, `status` (finding `.data/local.env` in its working directory) and `list` (told the
 * file by PER_USER_DB_ENV_FILE) work with nothing else set: the file holds the generated secrets and URLs.
 */
async function assertCliFindsTheStack(dataDir: string, clerkUrl: string) {
  const envFile = join(dataDir, 'local.env');
  assert.equal((await stat(envFile)).mode & 0o777, 0o600, 'local.env readable by its owner only');
  const secrets = JSON.parse(await readFile(join(dataDir, 'local-secrets.json'), 'utf8'));
  const clerk = createClerkApi({ secretKey: secrets.clerkSecretKey, apiUrl: clerkUrl });
  const userId = (await clerk.users.createUser({ emailAddress: [`cli-${Date.now()}@example.com`] })).id;
  await eventually(async () => {
    const db = (await clerk.users.getUser(userId)).publicMetadata.database as { status?: string } | undefined;
    return db?.status === 'ready';
  }, `${userId} provisioned by the stack`);

  const cwd = await mkdtemp(join(tmpdir(), 'per-user-db-cli-'));
  after(() => rm(cwd, { recursive: true, force: true }));
  await symlink(dataDir, join(cwd, '.data'));
  const elsewhere = await mkdtemp(join(tmpdir(), 'per-user-db-cli-'));
  after(() => rm(elsewhere, { recursive: true, force: true }));
  const [status, list] = await Promise.all([
    cliWithOnly(cwd, {}, ['status', userId, '--json']),
    cliWithOnly(elsewhere, { PER_USER_DB_ENV_FILE: envFile }, ['list', '--json']),
  ]);
  assert.equal(status.code, 0, status.stderr);
  const shown = JSON.parse(status.stdout) as DatabaseStatus;
  assert.equal(shown.status, 'ready');
  assert.equal(shown.database?.name, tenantDatabaseName(userId));
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { users: Array<{ userId: string; database: string | null }> };
  assert.equal(listed.users.find((u) => u.userId === userId)?.database, tenantDatabaseName(userId));

  const missing = await cliWithOnly(cwd, { PER_USER_DB_ENV_FILE: join(cwd, 'nope.env') }, ['list']);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /PER_USER_DB_ENV_FILE: .*nope\.env does not exist/);
}

test('a port already in use stops the start with the port, who wants it and the variable to change', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'per-user-db-stack-'));
  after(() => rm(dataDir, { recursive: true, force: true }));
  const env = await stackEnv(dataDir);
  const blocker = await listen(Number(env.TEMPORAL_UI_PORT));
  after(() => blocker.close());

  await assert.rejects(startLocalStack(env, { handleSignals: false, print: quiet }), (error: unknown) => {
    assert.ok(error instanceof PortInUseError);
    assert.equal(
      error.message,
      `Port ${env.TEMPORAL_UI_PORT} is already in use, but the Temporal Web UI needs it. ` +
        'Stop whatever listens there, or choose another port with TEMPORAL_UI_PORT=<port>.',
    );
    return true;
  });
  // Nothing was started: every other port is still free.
  for (const name of PORT_VARS.filter((n) => n !== 'TEMPORAL_UI_PORT')) assert.ok(await isPortFree(Number(env[name])));
});

test('two parts given the same port is refused, naming both variables', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'per-user-db-stack-'));
  after(() => rm(dataDir, { recursive: true, force: true }));
  const env = { ...(await stackEnv(dataDir)), CLERK_STAND_IN_PORT: '' };
  env.CLERK_STAND_IN_PORT = env.PORT;
  await assert.rejects(
    startLocalStack(env, { handleSignals: false, print: quiet }),
    /PORT and CLERK_STAND_IN_PORT are both/,
  );
});

test('no Temporal CLI installed and no internet: the error says how to install it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'per-user-db-cli-'));
  after(() => rm(dir, { recursive: true, force: true }));
  // An unreachable proxy makes the SDK's download fail the way it does offline, even on a machine with internet.
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy };
  process.env.HTTPS_PROXY = process.env.https_proxy = `http://127.0.0.1:${await freePort()}`;
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  await assert.rejects(
    startTemporalDevServer({
      executable: { type: 'cached-download', downloadDir: dir },
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: join(dir, 'temporal.db'),
      namespace: 'default',
      logFile: join(dir, 'temporal.log'),
    }),
    (error: Error) => {
      assert.match(error.message, /No Temporal CLI was found and downloading one failed/);
      assert.ok(error.message.includes(SETUP_HINT));
      assert.ok(error.message.includes('npm run setup:temporal'));
      return true;
    },
  );
});

test('the whole stack starts, starts again on the same data (the CLI beside it needs no settings), and frees every port when stopped', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'per-user-db-stack-'));
  await chmod(dataDir, 0o755); // as root, Postgres runs as the `postgres` user and must reach its folder
  after(() => rm(dataDir, { recursive: true, force: true }));
  const env = await stackEnv(dataDir);
  const printed: string[] = [];

  for (const round of [1, 2]) {
    const stack = await startLocalStack(env, { handleSignals: false, print: (line) => printed.push(line) });
    try {
      assert.equal(stack.urls.app, `http://localhost:${env.PORT}`);
      assert.equal(stack.urls.temporalUi, `http://localhost:${env.TEMPORAL_UI_PORT}`);
      assert.equal(stack.urls.clerk, `http://localhost:${env.CLERK_STAND_IN_PORT}`);
      assert.ok(!stack.urls.postgres?.includes(':' + '@'), 'no password in the printed Postgres URL');

      const health = await fetch(`http://127.0.0.1:${env.PORT}/readyz`);
      assert.equal(health.status, 200, `round ${round}: the receiver reaches Temporal`);
      const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
      assert.equal(ui.status, 200, `round ${round}: the Temporal UI answers`);

      // Registering the search attributes again on the persisted SQLite file must leave them in place.
      const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_PORT}` });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      await connection.close();
      for (const key of SEARCH_ATTRIBUTES) assert.ok(key.name in (customAttributes ?? {}), `${key.name} registered`);
      if (round === 2) await assertCliFindsTheStack(dataDir, stack.urls.clerk!);
    } finally {
      await stack.stop();
    }
    for (const name of PORT_VARS) assert.ok(await isPortFree(Number(env[name])), `round ${round}: ${name} freed`);
  }

  const secrets = JSON.parse(await readFile(join(dataDir, 'local-secrets.json'), 'utf8'));
  assert.match(secrets.clerkSecretKey, /^sk_test_/);
  assert.match(secrets.clerkWebhookSigningSecret, /^whsec_/);
  const banner = printed.join('\n');
  assert.ok(banner.includes(`Demo page         http://localhost:${env.PORT}`), banner);
  for (const value of Object.values(secrets) as string[]) assert.ok(!banner.includes(value), 'no secret printed');
});
