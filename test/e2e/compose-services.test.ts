/**
 * The containers' own commands, run natively (scripts/compose-e2e.sh runs the real containers where there is a
 * Docker engine): the worker, webhook and Clerk stand-in services of docker-compose.yml, with the command and
 * environment docker-compose resolves, only with `dist/cli.js` / `dev/cli.js` run from source, the service
 * hostnames pointed at this machine and the stand-in's volume a temporary directory. Their healthchecks must pass,
 * a user created on the stand-in must end up with a ready database, and the stand-in restarted keeps the user.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { createClerkApi } from '../../src/clerk/client.js';
import { waitUntil } from '../../dev/local/ports.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { testTemporal } from '../helpers/temporal.js';
import { hasDockerCompose, resolvedCompose, type Service } from './compose-file.js';
import { stackPorts } from './stack-ports.js';

const run = promisify(execFile);
/** The images' compiled entries, and the source tsx runs instead. */
const SOURCE: Record<string, string> = { 'dist/cli.js': 'src/cli.ts', 'dev/cli.js': 'dev/cli.ts' };
const skip = hasDockerCompose() ? false : 'docker-compose is not installed (CI installs it)';

test("compose's worker, webhook and clerk-stand-in commands provision a database", { skip }, async () => {
  const { services } = resolvedCompose();
  const ports = await stackPorts();
  const temporal = await testTemporal();
  const databaseUrl = await testDatabaseUrl();
  const volume = await mkdtemp(join(tmpdir(), 'per-user-db-stand-in-'));
  // The compose network's names, as this machine reaches the same things.
  const hosts: Array<[RegExp, string]> = [
    [/^postgres:\/\/postgres:[^@]+@postgres:5432\/postgres$/, databaseUrl],
    [/temporal:7233/, temporal.connection.options.address],
    [/clerk-stand-in:3100/, `127.0.0.1:${ports.CLERK_STAND_IN_PORT}`],
    [/webhook:3000/, `127.0.0.1:${ports.PORT}`],
    [/127\.0\.0\.1:3000/, `127.0.0.1:${ports.PORT}`],
    [/127\.0\.0\.1:3100/, `127.0.0.1:${ports.CLERK_STAND_IN_PORT}`],
    [/^\/data\//, `${volume}/`],
  ];
  const local = (value: string) => hosts.reduce((v, [pattern, replacement]) => v.replace(pattern, replacement), value);
  const port = (value: string) =>
    ({ '3000': ports.PORT, '3100': ports.CLERK_STAND_IN_PORT, '0.0.0.0': '127.0.0.1' })[value] ?? local(value);

  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children.filter((c) => c.exitCode === null)) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await rm(volume, { recursive: true, force: true });
  });
  const logs = new Map<string, string>();
  const start = (name: string) => {
    const service: Service = services[name]!;
    const [node, script, ...args] = service.command ?? [];
    assert.equal(node, 'node');
    assert.ok(script && SOURCE[script], `${name} runs one of ${Object.keys(SOURCE).join(', ')}`);
    // A null value passes the shell's variable on; the test's shell has none of these.
    const settings = Object.entries(service.environment ?? {}).filter((e): e is [string, string] => e[1] !== null);
    const env = Object.fromEntries(settings.map(([k, v]) => [k, port(v)]));
    const child = spawn(process.execPath, ['--import', 'tsx', SOURCE[script], ...args.map(port)], {
      env: { PATH: process.env.PATH, ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    logs.set(name, '');
    const collect = (chunk: Buffer) => logs.set(name, logs.get(name) + chunk.toString('utf8'));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    children.push(child);
    return child;
  };
  /** The service's healthcheck command, run here until it passes. */
  const healthy = (name: string) =>
    waitUntil(
      `${name} healthcheck`,
      async () => {
        const [kind, command, ...args] = services[name]!.healthcheck!.test;
        assert.equal(kind, 'CMD');
        if (children.some((c) => c.exitCode !== null)) {
          throw new Error(`a service exited:\n${[...logs].map(([n, l]) => `--- ${n}\n${l}`).join('\n')}`);
        }
        return run(command === 'node' ? process.execPath : command!, args.map(local)).then(
          () => true,
          () => false,
        );
      },
      60_000,
    );

  start('worker');
  start('webhook');
  await healthy('webhook');
  start('clerk-stand-in');
  await healthy('clerk-stand-in');

  const env = services.worker!.environment!;
  const clerk = createClerkApi({ secretKey: env.CLERK_SECRET_KEY!, apiUrl: local(env.CLERK_API_URL!) });
  const user = await clerk.users.createUser({ emailAddress: [`compose-${Date.now()}@example.com`] });
  let database: { status?: string; provider?: string } | undefined;
  await waitUntil(
    'the database to be recorded on the Clerk user',
    async () => {
      database = ((await clerk.users.getUser(user.id)).publicMetadata as { database?: typeof database }).database;
      return database?.status === 'ready';
    },
    60_000,
  );
  assert.equal(database?.provider, 'postgres');

  // The stand-in's users are on its volume: stopped and started again, it still has this one.
  const standIn = children.at(-1)!;
  const stopped = once(standIn, 'exit');
  standIn.kill('SIGTERM');
  assert.deepEqual(await stopped, [0, null]);
  children.pop();
  start('clerk-stand-in');
  await healthy('clerk-stand-in');
  assert.equal(
    (await clerk.users.getUser(user.id)).primaryEmailAddress?.emailAddress,
    user.primaryEmailAddress?.emailAddress,
  );

  // The same way `docker compose stop` ends them: SIGTERM, and each exits cleanly.
  for (const child of children.reverse()) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
  }
});
