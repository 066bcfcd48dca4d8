import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { parseAllDocuments } from 'yaml';
import { TEMPORAL_DEADLINE_MS } from '../../src/client/connection.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { envSchema } from '../../src/config/schema.js';
import { deprovisionOptions, provisionOptions } from '../../src/workflows/activity-options.js';

const DIR = 'deploy/kubernetes';
const VALIDATOR = '.tools/k8s-venv/bin/kubernetes-validate';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command: string[];
  ports?: { name: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
}
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    selector?: Record<string, string> | { matchLabels: Record<string, string> };
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    scaleTargetRef?: { kind: string; name: string };
    ports?: { targetPort: string | number }[];
  };
}

const manifestFiles = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .sort();

const resources: Resource[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors, [], file);
    return doc.toJS() as Resource;
  }),
);

function find(kind: string, name: string): Resource {
  const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found;
}

const deployment = (name: 'worker' | 'webhook') => find('Deployment', `per-user-db-${name}`);
const container = (name: 'worker' | 'webhook') => deployment(name).spec!.template!.spec.containers[0]!;
const configMap = find('ConfigMap', 'per-user-db-config');

/** The Secrets (name → keys) a container reads. */
function secretKeys(c: Container): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const { valueFrom } of c.env ?? []) {
    const ref = valueFrom?.secretKeyRef;
    if (ref) (keys[ref.name] ??= []).push(ref.key);
  }
  return keys;
}

/**
 * The environment a container gets once the operator has created the Secrets: the ConfigMap, the literal
 * values, and `sample` for each Secret key it reads.
 */
function podEnv(c: Container, sample: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    assert.equal(from.configMapRef?.name, configMap.metadata.name, 'envFrom only the ConfigMap');
    Object.assign(env, configMap.data);
  }
  for (const { name, value, valueFrom } of c.env ?? []) {
    const ref = valueFrom?.secretKeyRef;
    const v = value ?? (ref && sample[ref.key]);
    assert.ok(v !== undefined, `a sample for ${name}`);
    env[name] = v;
  }
  return env;
}

/** What an operator puts in the Secrets (DB_PROVIDER=postgres, as in the ConfigMap). */
const SECRET_SAMPLE: Record<string, string> = {
  CLERK_SECRET_KEY: 'sk_live_sample',
  CLERK_PUBLISHABLE_KEY: 'pk_live_sample',
  CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=',
  HOOKDECK_WEBHOOK_SECRET: 'hookdeck-sample-signing-secret-0123456789',
  DATABASE_URL: 'postgres://admin:sample@tenants-eu.internal:5432/postgres',
  POSTGRES_REGIONS:
    'eu=postgres://admin:sample@tenants-eu.internal:5432/postgres,us=postgres://admin:sample@tenants-us.internal:5432/postgres',
  TENANT_PASSWORD_SECRET: 'sample-tenant-password-secret-of-32-characters-or-more',
  XATA_API_KEY: 'xau_sample',
  TEMPORAL_API_KEY: 'temporal-sample',
};

test('kustomization.yaml lists every manifest in deploy/kubernetes, and only those', () => {
  const doc = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
    resources: string[];
    images: { name: string }[];
  };
  assert.deepEqual([...doc.resources].sort(), manifestFiles);
  for (const name of ['worker', 'webhook'] as const) {
    assert.ok(
      doc.images.some((i) => i.name === container(name).image),
      `the image of ${name} is set by kustomization`,
    );
  }
});

test('the receiver never gets database, tenant or Xata credentials; the worker gets what it works with', () => {
  const webhook = secretKeys(container('webhook'));
  const worker = secretKeys(container('worker'));
  const webhookKeys = Object.values(webhook).flat();
  for (const secret of [
    'DATABASE_URL',
    'POSTGRES_REGIONS',
    'TENANT_PASSWORD_SECRET',
    'XATA_API_KEY',
    'HOOKDECK_API_KEY',
  ]) {
    assert.ok(!webhookKeys.includes(secret), `the receiver does not get ${secret}`);
  }
  assert.deepEqual(Object.keys(webhook).sort(), ['per-user-db-temporal', 'per-user-db-webhook']);
  assert.deepEqual(Object.keys(worker).sort(), ['per-user-db-temporal', 'per-user-db-worker']);
  for (const secret of ['DATABASE_URL', 'TENANT_PASSWORD_SECRET', 'CLERK_SECRET_KEY', 'XATA_API_KEY']) {
    assert.ok(worker['per-user-db-worker']!.includes(secret), `the worker gets ${secret}`);
  }
  assert.ok(!worker['per-user-db-worker']!.includes('CLERK_WEBHOOK_SIGNING_SECRET'));
  // A whole Secret as environment would hand over whatever keys it holds.
  for (const name of ['worker', 'webhook'] as const) {
    assert.ok(!(container(name).envFrom ?? []).some((f) => f.secretRef), `${name}: no envFrom secretRef`);
  }
  // Nothing that is secret sits in the ConfigMap, which both read.
  const secretNames = new Set([...webhookKeys, ...Object.values(worker).flat()]);
  for (const [key, value] of Object.entries(configMap.data ?? {})) {
    assert.ok(!secretNames.has(key), `${key} is a Secret key, not a ConfigMap setting`);
    assert.doesNotMatch(value, /:\/\/[^/\s]*:[^/\s]*@/, `${key} holds no URL with a password`);
  }
});

test('each process starts with exactly the settings the manifests give it, and the receiver could not run as a worker', () => {
  const workerEnv = podEnv(container('worker'), SECRET_SAMPLE);
  const webhookEnv = podEnv(container('webhook'), SECRET_SAMPLE);
  const worker = loadConfig(workerEnv, 'worker');
  assert.equal(worker.provider.kind, 'postgres');
  assert.equal(worker.temporal.env.TEMPORAL_API_KEY, SECRET_SAMPLE.TEMPORAL_API_KEY);
  const webhook = loadConfig(webhookEnv, 'webhook');
  assert.equal(webhook.port, 3000);
  assert.equal(webhook.clerk.webhookSigningSecret, SECRET_SAMPLE.CLERK_WEBHOOK_SIGNING_SECRET);

  assert.throws(
    () => loadConfig(webhookEnv, 'worker'),
    (error: unknown) =>
      error instanceof ConfigError &&
      ['DATABASE_URL', 'TENANT_PASSWORD_SECRET'].every((v) => error.problems.some((p) => p.includes(v))),
  );

  // Every name is a setting the product reads (a misspelt one would be silently ignored).
  const known = new Set(Object.keys(envSchema.shape));
  for (const name of new Set([...Object.keys(workerEnv), ...Object.keys(webhookEnv)])) {
    assert.ok(known.has(name) || name.startsWith('TEMPORAL_'), `${name} is a per-user-db setting`);
  }
});

test('pods run as non-root on a read-only root filesystem, with resources, the product image and its commands', () => {
  for (const name of ['worker', 'webhook'] as const) {
    const pod = deployment(name).spec!.template!.spec;
    const c = container(name);
    assert.equal(pod.containers.length, 1, name);
    assert.equal(pod.securityContext?.runAsNonRoot, true, name);
    assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${name} runAsUser`);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true, name);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false, name);
    for (const kind of ['requests', 'limits'] as const) {
      assert.ok(c.resources?.[kind]?.cpu && c.resources[kind].memory, `${name} ${kind}`);
    }
    assert.deepEqual(c.command, ['node', 'dist/cli.js', name]);
  }
});

test('the receiver is ready on /readyz and alive on /healthz, on the port it listens on and the Service targets', () => {
  const c = container('webhook');
  const port = c.ports!.find((p) => p.name === 'http')!;
  assert.equal(String(port.containerPort), podEnv(c, SECRET_SAMPLE).PORT);
  assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
  assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
  for (const probe of [c.readinessProbe, c.livenessProbe]) assert.equal(probe?.httpGet?.port, 'http');

  const service = find('Service', 'per-user-db-webhook');
  assert.deepEqual(service.spec!.selector, deployment('webhook').spec!.template!.metadata.labels);
  assert.equal(service.spec!.ports![0]!.targetPort, 'http');
});

test('each Deployment has a PodDisruptionBudget and an HPA aimed at it', () => {
  for (const name of ['worker', 'webhook'] as const) {
    const labels = deployment(name).spec!.template!.metadata.labels;
    const pdb = find('PodDisruptionBudget', `per-user-db-${name}`);
    assert.deepEqual((pdb.spec!.selector as { matchLabels: Record<string, string> }).matchLabels, labels);
    const hpa = find('HorizontalPodAutoscaler', `per-user-db-${name}`);
    assert.deepEqual(hpa.spec!.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment(name).metadata.name,
    });
  }
});

test('a stopped pod gets time to finish its in-flight work', () => {
  const worker = deployment('worker').spec!.template!.spec.terminationGracePeriodSeconds ?? 30;
  // Provisioning and deprovisioning steps do not heartbeat: one cut off is retried only after its timeout.
  for (const options of [provisionOptions, deprovisionOptions]) {
    assert.ok(worker * 1000 > msToNumber(options.startToCloseTimeout!), `worker grace ${worker} s`);
  }
  const webhook = deployment('webhook').spec!.template!.spec.terminationGracePeriodSeconds ?? 30;
  assert.ok(webhook * 1000 > TEMPORAL_DEADLINE_MS, `receiver grace ${webhook} s`);
});

const noValidator = existsSync(VALIDATOR)
  ? false
  : `${VALIDATOR} is not installed (scripts/validate-k8s.sh installs it)`;

test('the manifests pass the Kubernetes schemas offline (scripts/validate-k8s.sh)', { skip: noValidator }, () => {
  const result = spawnSync('scripts/validate-k8s.sh', { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`^${manifestFiles.length} manifests valid`, 'm'));
});

test('the schema check refuses a manifest with an unknown field', { skip: noValidator }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'per-user-db-k8s-'));
  try {
    const file = join(dir, 'pdb.yaml');
    const text = readFileSync(join(DIR, 'worker-pdb.yaml'), 'utf8');
    writeFileSync(file, text.replace('minAvailable: 1', 'minAvailable: 1\n  minAvailble: 1'));
    const result = spawnSync(VALIDATOR, ['--strict', '--quiet', file], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
    assert.match(result.stdout + result.stderr, /minAvailble/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
