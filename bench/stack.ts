import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'svix';
import { createClerkApi } from '../src/clerk/client.js';
import { startClerkStandIn } from '../dev/clerk-stand-in/index.js';
import { userEvent } from '../dev/clerk-stand-in/webhook-event.js';
import { loadConfig } from '../src/config/index.js';
import { startThrowawayPostgres, type EmbeddedPostgresHandle } from '../dev/local/embedded-postgres.js';
import { freePort } from '../dev/local/free-port.js';
import { temporalExecutable } from '../dev/local/temporal-binary.js';
import { metricsPortArgs, startSdkDevServer, startTemporalDevServer } from '../dev/local/temporal-dev-server.js';
import { loadMigrations } from '../src/migrations/index.js';
import { createProvider } from '../src/providers/index.js';
import { startClerkTap } from './clerk-tap.js';
import { createFloor } from './floor.js';
import { mapConcurrently } from './pool.js';
import { startServiceProcess, type ServiceProcess, type ServiceRuntime } from './service-process.js';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));
const token = (bytes: number) => randomBytes(bytes).toString('base64url');

export interface StackOptions {
  /** WORKER_MAX_CONCURRENT_ACTIVITIES of the worker, and the floor's concurrency. */
  workerConcurrency: number;
  /** CLERK_RATE_LIMIT_PER_SECOND of the worker. */
  clerkRatePerSecond: number;
  /** Where the services' logs go (kept after the run). */
  logDir: string;
  /** Persist Temporal to a SQLite file, as `npm start` does; default in memory, as `npm test` does. */
  temporalDbFile: boolean;
  /** The built dist/ JS (built by the caller) or the sources under tsx. */
  runtime: ServiceRuntime;
  /** The worker and the receiver write V8 CPU profiles here when they stop. */
  cpuProfDir?: string;
  /** Settings of the worker and the receiver over the bench's own (to compare two values). */
  serviceEnv?: Record<string, string>;
  /** More `temporal server start-dev` arguments (to compare server settings). */
  temporalArgs?: string[];
}

/**
 * The Temporal CLI's dev server (the installed binary), in memory or on a SQLite file, with its Prometheus
 * metrics on a port of ours so scenarios can read the server's own cost.
 */
async function startTemporal(
  options: StackOptions,
  dir: string,
): Promise<{ address: string; metricsUrl: string; stop(): Promise<void> }> {
  const executable = await temporalExecutable(process.env);
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const extraArgs = [...metricsPortArgs(metricsPort), ...(options.temporalArgs ?? [])];
  if (options.temporalDbFile) {
    const server = await startTemporalDevServer({
      executable,
      port: await freePort(),
      uiPort: await freePort(),
      extraArgs,
      dbFile: join(dir, 'temporal.db'),
      namespace: 'default',
      logFile: join(options.logDir, 'temporal.log'),
    });
    return { address: server.address, metricsUrl, stop: () => server.stop() };
  }
  const env = await startSdkDevServer({ executable, extraArgs });
  return { address: env.address, metricsUrl, stop: () => env.teardown() };
}

/**
 * Everything a scenario runs against, on real components: PostgreSQL (DATABASE_URL, else an embedded server),
 * a Temporal dev server from the installed CLI, the Clerk stand-in behind a tap, and the worker and the
 * receiver as child processes of their own (so each one's memory can be read from /proc).
 */
export async function startBenchStack(options: StackOptions) {
  const dir = await mkdtemp(join(tmpdir(), 'per-user-db-bench-'));
  const stops: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    let pg: EmbeddedPostgresHandle | undefined;
    if (!process.env.DATABASE_URL) {
      pg = await startThrowawayPostgres('bench');
      stops.push(() => pg!.stop());
    }
    const adminUrl = process.env.DATABASE_URL ?? pg!.url;

    const temporal = await startTemporal(options, dir);
    stops.push(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const temporalClient = new Client({ connection, namespace: 'default' });

    const secrets = {
      clerkSecretKey: `sk_test_${token(24)}`,
      signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
      tenantPasswordSecret: token(32),
    };
    const standIn = await startClerkStandIn({ secretKey: secrets.clerkSecretKey });
    stops.push(() => standIn.stop());
    const tap = await startClerkTap(standIn.url);
    stops.push(() => tap.stop());

    // A copy the fleet scenario can add migrations to (the worker reads MIGRATIONS_DIR at start).
    const migrationsDir = join(dir, 'migrations');
    await cp(MIGRATIONS, migrationsDir, { recursive: true });

    const env: Record<string, string> = {
      LOG_LEVEL: 'info',
      DB_PROVIDER: 'postgres',
      DATABASE_URL: adminUrl,
      TENANT_PASSWORD_SECRET: secrets.tenantPasswordSecret,
      MIGRATIONS_DIR: migrationsDir,
      CLERK_SECRET_KEY: secrets.clerkSecretKey,
      CLERK_API_URL: tap.url,
      CLERK_WEBHOOK_SIGNING_SECRET: secrets.signingSecret,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: `bench-${token(6)}`,
      WORKER_MAX_CONCURRENT_ACTIVITIES: String(options.workerConcurrency),
      CLERK_RATE_LIMIT_PER_SECOND: String(options.clerkRatePerSecond),
      ...options.serviceEnv,
    };
    const config = loadConfig(env, 'worker');
    const provider = await createProvider(config.provider);
    stops.push(() => provider.close());
    const clerk = createClerkApi({ secretKey: secrets.clerkSecretKey, apiUrl: tap.url });
    const floor = createFloor({ provider, migrations: await loadMigrations(migrationsDir), clerk });

    const services: Partial<Record<'worker' | 'webhook', ServiceProcess>> = {};
    stops.push(async () => {
      for (const s of Object.values(services)) await s?.stop();
    });
    const startWorker = async (overrides: Record<string, string> = {}) => {
      await services.worker?.stop();
      services.worker = await startServiceProcess(
        'worker',
        { ...env, ...overrides },
        { logFile: join(options.logDir, 'worker.log'), runtime: options.runtime, cpuProfDir: options.cpuProfDir },
      );
      return services.worker;
    };
    const startReceiver = async (overrides: Record<string, string> = {}) => {
      await services.webhook?.stop();
      const port = await freePort();
      services.webhook = await startServiceProcess(
        'webhook',
        { ...env, PORT: String(port), ...overrides },
        {
          logFile: join(options.logDir, 'webhook.log'),
          runtime: options.runtime,
          cpuProfDir: options.cpuProfDir,
          healthUrl: `http://127.0.0.1:${port}/healthz`,
        },
      );
      return { process: services.webhook, url: `http://127.0.0.1:${port}/webhooks/clerk` };
    };
    await startWorker();
    let receiver = await startReceiver();

    const signer = new Webhook(secrets.signingSecret);
    const instanceId = standIn.instanceId;
    /** Users this run created tenants for: dropped at the end whatever happens. */
    const tenants = new Set<string>();

    const stack = {
      adminUrl,
      env,
      config,
      temporal: { address: temporal.address, metricsUrl: temporal.metricsUrl, client: temporalClient },
      tap,
      provider,
      floor,
      migrationsDir,
      get worker() {
        return services.worker!;
      },
      get receiver() {
        return receiver;
      },
      startWorker,
      /** Samples the worker's and the receiver's memory from now until `stop()`. */
      watchServices() {
        const worker = services.worker!.watchMemory();
        const webhook = receiver.process.watchMemory();
        return {
          async stop() {
            return { worker: await worker.stop(), webhook: await webhook.stop() };
          },
        };
      },
      async restartReceiver(overrides: Record<string, string> = {}) {
        receiver = await startReceiver(overrides);
        return receiver;
      },

      /** Creates `count` users in the Clerk stand-in (no webhook is sent: the bench posts them itself). */
      async newUsers(count: number): Promise<Array<{ id: string; json: Record<string, unknown> }>> {
        return mapConcurrently(Array.from({ length: count }), 8, async () => {
          const user = await clerk.users.createUser({ skipPasswordRequirement: true });
          tenants.add(user.id);
          return { id: user.id, json: user.raw as unknown as Record<string, unknown> };
        });
      },
      /** The `user.created` event Clerk sends for the user (the stand-in's own event builder). */
      createdEvent(user: { id: string; json: Record<string, unknown> }): string {
        const data = { ...user.json, id: user.id };
        return JSON.stringify(
          userEvent('user.created', data, instanceId, { client_ip: '127.0.0.1', user_agent: 'per-user-db-bench' }),
        );
      },
      /** Svix's three headers for the body, signed now. */
      signedHeaders(body: string, messageId = `msg_${token(16)}`): Record<string, string> {
        const now = new Date();
        return {
          'content-type': 'application/json',
          'svix-id': messageId,
          'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
          'svix-signature': signer.sign(messageId, now, body),
        };
      },
      /** Posts a signed event to the receiver; answers the status and how long the acknowledgement took. */
      async post(body: string): Promise<{ status: number; ms: number }> {
        const started = performance.now();
        const res = await fetch(receiver.url, { method: 'POST', headers: stack.signedHeaders(body), body });
        await res.arrayBuffer();
        return { status: res.status, ms: performance.now() - started };
      },
      /** Marks users whose tenants the bench created outside newUsers() (fleet seeding). */
      trackTenants(userIds: Iterable<string>) {
        for (const id of userIds) tenants.add(id);
      },
      /** Drops the tenants (database and role) of the given users, or of every user this run created. */
      async dropTenants(userIds: Iterable<string> = [...tenants]): Promise<number> {
        const ids = [...userIds];
        const dropped = await mapConcurrently(ids, 4, async (id) => (await provider.drop(id)).existed);
        for (const id of ids) tenants.delete(id);
        return dropped.filter(Boolean).length;
      },
      async stop() {
        // With DATABASE_URL the server outlives the bench: leave no tenant behind. Embedded data is deleted whole.
        if (process.env.DATABASE_URL) await stack.dropTenants().catch(() => undefined);
        await stopAll();
      },
    };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export type BenchStack = Awaited<ReturnType<typeof startBenchStack>>;
