import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  DEV_SERVER_DYNAMIC_CONFIG_ARGS,
  devServerArgs,
  searchAttributeArgs,
  SQLITE_FILE_ARGS,
} from '../../dev/local/temporal-dev-server.js';
import { hasDockerCompose, resolvedCompose } from './compose-file.js';

const STAND_IN_WEBHOOK_URL = 'http://webhook:3000/webhooks/clerk';
const skip = hasDockerCompose() ? false : 'docker-compose is not installed (CI installs it)';

function containsRun(haystack: string[], needle: string[]): boolean {
  return haystack.some((_, i) => needle.every((value, j) => haystack[i + j] === value));
}

test('docker-compose accepts the file (what CI runs)', { skip }, () => {
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

test(
  'the Temporal service runs the same dev server as `npm start`, in the version setup:temporal installs',
  { skip },
  () => {
    const { services } = resolvedCompose();
    const temporal = services.temporal!;
    const cliVersion = /const VERSION = '([^']+)'/.exec(readFileSync('scripts/setup-temporal.mjs', 'utf8'))?.[1];
    assert.equal(temporal.image, `temporalio/temporal:${cliVersion}`);

    const command = temporal.command ?? [];
    assert.ok(containsRun(command, searchAttributeArgs()), `search attributes in ${command.join(' ')}`);
    assert.ok(containsRun(command, DEV_SERVER_DYNAMIC_CONFIG_ARGS), `dynamic config in ${command.join(' ')}`);
    assert.ok(containsRun(command, SQLITE_FILE_ARGS), `SQLite pragmas in ${command.join(' ')}`);
    const native = devServerArgs({
      port: 7233,
      uiPort: 8233,
      dbFile: '/home/temporal/temporal.db',
      namespace: 'default',
    });
    for (const flag of ['--port', '--ui-port', '--db-filename', '--namespace', '--log-level']) {
      const at = (args: string[]) => args[args.indexOf(flag) + 1];
      assert.equal(at(command), at(native), flag);
    }
    assert.ok(containsRun(command, ['--ip', '0.0.0.0']) && containsRun(command, ['--ui-ip', '0.0.0.0']));
    assert.ok(
      temporal.ports?.some((p) => p.endsWith(':8233/tcp')),
      'Temporal UI published',
    );
  },
);

test(
  'the product runs `node dist/cli.js <command>` from one image, the stand-in `node dev/cli.js` from the dev-harness image, each after what it needs is healthy',
  { skip },
  () => {
    const { services } = resolvedCompose();
    const product = { script: 'dist/cli.js', image: 'per-user-db:local', target: 'product' };
    const devHarness = { script: 'dev/cli.js', image: 'per-user-db-dev-harness:local', target: 'dev-harness' };
    const expected = {
      worker: [product, 'worker'],
      webhook: [product, 'webhook'],
      'clerk-stand-in': [
        devHarness,
        'clerk-stand-in',
        '--host',
        '0.0.0.0',
        '--port',
        '3100',
        '--webhook-url',
        STAND_IN_WEBHOOK_URL,
        '--state-file',
        '/data/users.json',
      ],
    } as const;
    for (const [name, [{ script, image, target }, ...args]] of Object.entries(expected)) {
      const service = services[name]!;
      assert.deepEqual(service.command, ['node', script, ...args], name);
      assert.equal(service.image, image, name);
      assert.equal((service.build as { target?: string } | undefined)?.target, target, name);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.equal(condition, 'service_healthy', `${name} → ${dependency}`);
        assert.ok(services[dependency]?.healthcheck, `${dependency} has a healthcheck`);
      }
    }
    assert.deepEqual(Object.keys(services.worker!.depends_on ?? {}).sort(), ['postgres', 'temporal']);

    const env = services.worker!.environment ?? {};
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/postgres:[^$@]+@postgres:5432\/postgres$/);
    assert.equal(env.CLERK_API_URL, 'http://clerk-stand-in:3100');
    assert.equal(services['clerk-stand-in']!.environment?.CLERK_SECRET_KEY, env.CLERK_SECRET_KEY);
    assert.equal(
      services['clerk-stand-in']!.environment?.CLERK_WEBHOOK_SIGNING_SECRET,
      services.webhook!.environment?.CLERK_WEBHOOK_SIGNING_SECRET,
    );
  },
);

test('each service sees only the settings it needs: no database or Xata credentials for the receiver', { skip }, () => {
  const { services } = resolvedCompose();
  const webhook = Object.keys(services.webhook!.environment ?? {});
  for (const secret of ['DATABASE_URL', 'TENANT_PASSWORD_SECRET', 'XATA_API_KEY', 'HOOKDECK_API_KEY']) {
    assert.ok(!webhook.includes(secret), `the receiver does not get ${secret}`);
  }
  const standIn = Object.keys(services['clerk-stand-in']!.environment ?? {}).sort();
  assert.deepEqual(standIn, ['CLERK_SECRET_KEY', 'CLERK_WEBHOOK_SIGNING_SECRET', 'LOG_LEVEL']);
  assert.ok(!Object.keys(services.worker!.environment ?? {}).includes('CLERK_WEBHOOK_SIGNING_SECRET'));
  assert.equal(services.temporal!.environment?.TEMPORAL_VERSION_CHECK_DISABLED, '1');
});

test('the stand-in is offline mode only, and keeps its users on a volume', { skip }, () => {
  const { services } = resolvedCompose();
  const standIn = services['clerk-stand-in']!;
  assert.deepEqual(standIn.profiles, ['offline']);
  for (const name of ['temporal', 'postgres', 'worker', 'webhook']) assert.equal(services[name]!.profiles, undefined);
  const stateFile = standIn.command![standIn.command!.indexOf('--state-file') + 1]!;
  const mounted = (standIn.volumes ?? []).map((v) => v.split(':'));
  assert.ok(
    mounted.some(([volume, target]) => volume === 'clerk-stand-in-data' && stateFile.startsWith(`${target}/`)),
    `${stateFile} is on the clerk-stand-in-data volume: ${standIn.volumes?.join(', ')}`,
  );
});

test('worker and receiver get time to finish in-flight work on `docker compose stop`', { skip }, () => {
  const { services } = resolvedCompose();
  for (const name of ['worker', 'webhook']) {
    assert.match(services[name]!.stop_grace_period ?? '', /^[1-9]\d*s$/, name);
  }
});

test(
  'docker-compose.cloud.yml: worker and receiver reach only what the settings name, with no local default',
  { skip },
  () => {
    const settings = 'TEMPORAL_ADDRESS=ns.acct.tmprl.cloud:7233\nTEMPORAL_API_KEY=cloud-api-key\n';
    const { services } = resolvedCompose(['docker-compose.yml', 'docker-compose.cloud.yml'], settings);
    for (const name of ['worker', 'webhook']) {
      const env = services[name]!.environment ?? {};
      assert.equal(env.TEMPORAL_ADDRESS, 'ns.acct.tmprl.cloud:7233', name);
      assert.equal(env.TEMPORAL_API_KEY, 'cloud-api-key', name);
      // Unset settings are not passed on (null), so no local address or local-only secret reaches the service.
      for (const [key, value] of Object.entries(env)) {
        assert.doesNotMatch(
          value ?? '',
          /temporal:7233|@postgres:5432|clerk-stand-in|local-only|localStandIn|whsec_/,
          `${name} ${key}`,
        );
      }
      assert.ok(
        services[name]!.volumes?.some((v) => v.includes(':/run/secrets/temporal:ro')),
        `${name} mTLS files`,
      );
    }
    assert.ok(!Object.keys(services.webhook!.environment ?? {}).includes('DATABASE_URL'));
  },
);
