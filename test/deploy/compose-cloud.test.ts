import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { temporalConnectConfig } from '../../src/client/connection.js';
import { loadConfig } from '../../src/config/index.js';
import { hasDockerCompose, resolvedCompose, type Service } from '../e2e/compose-file.js';

const FILES = ['docker-compose.yml', 'docker-compose.cloud.yml'];
const skip = hasDockerCompose() ? false : 'docker-compose is not installed (CI installs it)';

/** What the worker reads from its Secrets, as the operator would set it in the shell or `.env`. */
const WORKER_SETTINGS = [
  'DATABASE_URL=postgres://admin:sample@tenants.internal:5432/postgres',
  'TENANT_PASSWORD_SECRET=sample-tenant-password-secret-of-32-characters-or-more',
  'CLERK_SECRET_KEY=sk_live_sample',
  'CLERK_API_URL=https://api.clerk.com',
  'CLERK_WEBHOOK_SIGNING_SECRET=whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=',
];

/** The environment a service's process sees: compose leaves unset settings out (null). */
function processEnv(service: Service): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** `container` as a path on this machine, through the service's bind mounts (what the container would read). */
function hostPath(service: Service, container: string): string {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    const rest = relative(target!, container);
    if (source && !rest.startsWith('..')) return join(source, rest);
  }
  assert.fail(`${container} is on no volume of the service`);
}

test('docker-compose accepts the base file with the cloud override', { skip }, () => {
  const files = FILES.flatMap((f) => ['-f', f]);
  const result = spawnSync('docker-compose', [...files, 'config', '-q'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  assert.equal(result.status, 0, result.stderr);
});

test(
  'the documented command starts the worker and the receiver only: no dev server, no local PostgreSQL',
  {
    skip,
  },
  () => {
    const header = readFileSync('docker-compose.cloud.yml', 'utf8');
    const command = /docker compose (.*) up (.*)$/m.exec(header);
    assert.ok(command, 'the header gives the `up` command');
    assert.equal(command[1], FILES.map((f) => `-f ${f}`).join(' '));
    const args = command[2]!.split(/\s+/);
    assert.ok(args.includes('--no-deps'), 'dependencies are not started');
    assert.deepEqual(args.filter((a) => !a.startsWith('-')).sort(), ['webhook', 'worker']);

    // What --no-deps leaves out is exactly the local stand-ins for Temporal and PostgreSQL.
    const { services } = resolvedCompose(FILES);
    const dependencies = new Set(['worker', 'webhook'].flatMap((s) => Object.keys(services[s]!.depends_on ?? {})));
    assert.deepEqual([...dependencies].sort(), ['postgres', 'temporal']);
    assert.ok(services.temporal!.command?.includes('start-dev'), 'temporal is the dev server');
  },
);

test(
  'mTLS: the client certificate mounted from TEMPORAL_TLS_DIR reaches both processes’ Temporal connection',
  {
    skip,
  },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'per-user-db-tls-'));
    try {
      writeFileSync(join(dir, 'client.pem'), 'sample certificate');
      writeFileSync(join(dir, 'client.key'), 'sample key');
      const settings = [
        ...WORKER_SETTINGS,
        'TEMPORAL_ADDRESS=ns.acct.tmprl.cloud:7233',
        'TEMPORAL_NAMESPACE=ns.acct',
        'TEMPORAL_TLS_CLIENT_CERT_PATH=/run/secrets/temporal/client.pem',
        'TEMPORAL_TLS_CLIENT_KEY_PATH=/run/secrets/temporal/client.key',
        `TEMPORAL_TLS_DIR=${dir}`,
      ];
      const { services } = resolvedCompose(FILES, settings.join('\n'));
      for (const [name, role] of [
        ['worker', 'worker'],
        ['webhook', 'webhook'],
      ] as const) {
        const service = services[name]!;
        assert.ok(service.volumes?.includes(`${dir}:/run/secrets/temporal:ro`), `${name}: ${service.volumes?.join()}`);
        const env = processEnv(service);
        // Read where the container would: through the mount.
        for (const key of ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']) {
          env[key] = hostPath(service, env[key]!);
        }
        const { connectionOptions, namespace } = temporalConnectConfig(loadConfig(env, role));
        assert.equal(connectionOptions.address, 'ns.acct.tmprl.cloud:7233', name);
        assert.equal(namespace, 'ns.acct', name);
        const tls = connectionOptions.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
        assert.equal(Buffer.from(tls.clientCertPair!.crt).toString(), 'sample certificate', name);
        assert.equal(Buffer.from(tls.clientCertPair!.key).toString(), 'sample key', name);
      }
    } finally {
      rmSync(dir, { recursive: true });
    }
  },
);

test('API key: TEMPORAL_API_KEY reaches both processes and turns TLS on', { skip }, () => {
  const settings = [...WORKER_SETTINGS, 'TEMPORAL_ADDRESS=eu-west-1.aws.api.temporal.io:7233', 'TEMPORAL_API_KEY=k'];
  const { services } = resolvedCompose(FILES, settings.join('\n'));
  for (const role of ['worker', 'webhook'] as const) {
    const { connectionOptions } = temporalConnectConfig(loadConfig(processEnv(services[role]!), role));
    assert.equal(connectionOptions.apiKey, 'k', role);
    assert.ok(connectionOptions.tls, `${role}: TLS on`);
  }
  // The receiver gets the connection, not the worker's credentials.
  for (const key of ['DATABASE_URL', 'TENANT_PASSWORD_SECRET', 'POSTGRES_REGIONS']) {
    assert.ok(!(key in processEnv(services.webhook!)), `the receiver does not get ${key}`);
  }
});

test('worker: the same stop grace in compose as in Kubernetes', { skip }, () => {
  const { services } = resolvedCompose(FILES);
  const k8s = parseAllDocuments(readFileSync('deploy/kubernetes/worker-deployment.yaml', 'utf8'))[0]!.toJS() as {
    spec: { template: { spec: { terminationGracePeriodSeconds: number } } };
  };
  assert.equal(services.worker!.stop_grace_period, `${k8s.spec.template.spec.terminationGracePeriodSeconds}s`);
});
