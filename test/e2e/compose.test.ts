import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { devServerArgs, searchAttributeArgs } from '../../dev/local/temporal-dev-server.js';
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
  'our services run `node dist/cli.js <command>` from one image, start after what they need is healthy',
  { skip },
  () => {
    const { services } = resolvedCompose();
    const expected = {
      worker: ['worker'],
      webhook: ['webhook'],
      'clerk-stand-in': [
        'clerk-stand-in',
        '--host',
        '0.0.0.0',
        '--port',
        '3100',
        '--webhook-url',
        STAND_IN_WEBHOOK_URL,
      ],
    };
    for (const [name, args] of Object.entries(expected)) {
      const service = services[name]!;
      assert.deepEqual(service.command, ['node', 'dist/cli.js', ...args], name);
      assert.equal(service.image, 'per-user-db:local', name);
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
