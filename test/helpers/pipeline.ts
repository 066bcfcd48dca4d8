import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { Webhook } from 'svix';
import { createClerkApi } from '../../src/clerk/client.js';
import { startClerkStandIn, type FaultSettings } from '../../dev/clerk-stand-in/index.js';
import { loadConfig } from '../../src/config/index.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import { runWorker, type RunningWorker } from '../../src/worker/run.js';
import { testDatabaseUrl } from './postgres.js';
import { testTemporal } from './temporal.js';

/** Every log line of this test process (ours through pino, the Temporal SDK's through its runtime logger). */
export const capturedLogs: string[] = [];
const stringify = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
Runtime.install({ logger: new DefaultLogger('INFO', (entry) => capturedLogs.push(stringify(entry))) });

const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    capturedLogs.push(chunk.toString('utf8'));
    done();
  },
});

export const randomToken = (bytes = 12) => randomBytes(bytes).toString('base64url');

export interface PipelineOptions {
  faults?: FaultSettings;
  /** Overrides of the environment the worker and receiver are configured from. */
  env?: Record<string, string>;
  /** Start no worker (a test that runs its own, e.g. in a child process). */
  withoutWorker?: boolean;
  /**
   * The receiver opens its own lazy Temporal client from its configuration (TEMPORAL_ADDRESS of `env`), as the
   * real process does, instead of sharing the test's client; the worker keeps the shared connection.
   */
  receiverOwnsTemporalClient?: boolean;
}

/**
 * The whole pipeline on real components: Clerk stand-in → signed webhook → receiver → Temporal dev server →
 * worker → PostgreSQL, with the stand-in's webhooks wired to the receiver. One task queue per pipeline.
 */
export async function startPipeline(options: PipelineOptions = {}) {
  const temporal = await testTemporal();
  const adminUrl = await testDatabaseUrl();
  const secrets = {
    clerkSecretKey: `sk_test_${randomToken(24)}`,
    signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
    tenantPasswordSecret: randomToken(32),
  };
  const standIn = await startClerkStandIn({
    secretKey: secrets.clerkSecretKey,
    retryTimeScale: 0.001,
    faults: options.faults,
  });
  const rawEnv: Record<string, string> = {
    DATABASE_URL: adminUrl,
    TENANT_PASSWORD_SECRET: secrets.tenantPasswordSecret,
    CLERK_SECRET_KEY: secrets.clerkSecretKey,
    CLERK_API_URL: standIn.url,
    CLERK_WEBHOOK_SIGNING_SECRET: secrets.signingSecret,
    TASK_QUEUE: `test-${randomToken(6)}`,
    TEMPORAL_ADDRESS: temporal.connection.options.address ?? '',
    TEMPORAL_UI_URL: process.env.TEMPORAL_TEST_UI_URL ?? 'http://localhost:8233',
    PORT: '0',
    CLERK_RATE_LIMIT_PER_SECOND: '50',
    // No hourly reconciliation run in the middle of a test (tests of reconciliation turn it on themselves).
    RECONCILE_INTERVAL: 'off',
    // The runner's bundle of the workflow code (test/run.ts), so this worker does not bundle it again.
    ...(process.env.WORKFLOW_BUNDLE && { WORKFLOW_BUNDLE: process.env.WORKFLOW_BUNDLE }),
    ...options.env,
  };
  const config = loadConfig(rawEnv, 'worker');
  const webhookConfig = loadConfig(rawEnv, 'webhook');
  const logger = pino({ level: 'debug' }, logSink);
  const workers: RunningWorker[] = [];
  /** An in-process worker on the pipeline's configuration and shared connection, stopped with the pipeline. */
  const startWorker = async () => {
    const started = await runWorker(config, { connection: temporal.nativeConnection, logger });
    workers.push(started);
    return started;
  };
  const worker = options.withoutWorker ? undefined : await startWorker();
  const receiver = await startWebhookServer(webhookConfig, {
    temporal: options.receiverOwnsTemporalClient ? undefined : temporal.client,
    logger,
    host: '127.0.0.1',
  });
  const webhookUrl = `${receiver.url}/webhooks/clerk`;
  standIn.addWebhookEndpoint({ url: webhookUrl, signingSecret: secrets.signingSecret });
  const clerk = createClerkApi({ secretKey: secrets.clerkSecretKey, apiUrl: standIn.url });
  /** The three Svix headers for `body`, signed with the pipeline's secret at `at` (default now). */
  const signHeaders = (body: string, { svixId = `msg_${randomToken(12)}`, at = new Date() } = {}) => ({
    'svix-id': svixId,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': new Webhook(secrets.signingSecret).sign(svixId, at, body),
  });

  return {
    temporal,
    adminUrl,
    config,
    rawEnv,
    secrets,
    standIn,
    worker,
    startWorker,
    receiver,
    webhookUrl,
    clerk,
    signHeaders,
    /** `Authorization: Bearer <session token>` for `userId`: a session and its token from the stand-in. */
    async authHeaders(userId: string, expiresInSeconds?: number): Promise<Record<string, string>> {
      const session = await clerk.sessions.createSession({ userId });
      const { jwt } = await clerk.sessions.getToken(session.id, undefined, expiresInSeconds);
      return { authorization: `Bearer ${jwt}` };
    },
    /** Posts a Clerk event to the receiver, signed as Svix signs it (or with the headers given). */
    async postEvent(
      event: unknown,
      init: { svixId?: string; headers?: Record<string, string>; body?: string; signedAt?: Date } = {},
    ) {
      const body = init.body ?? JSON.stringify(event);
      const headers = {
        'content-type': 'application/json',
        ...signHeaders(body, { svixId: init.svixId, at: init.signedAt }),
        ...init.headers,
      };
      const res = await fetch(webhookUrl, { method: 'POST', headers, body });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    },
    async stop() {
      await standIn.stop();
      await receiver.close();
      for (const w of workers) await w.shutdown();
    },
  };
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** Polls until `check` returns a value; gives up (failing the test) after a generous ceiling, so nothing hangs. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ceilingMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + ceilingMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A `user.created` event as Clerk sends it (from shared/clerk-examples), for the given user id. */
export function userCreatedEvent(userId: string, extra: Record<string, unknown> = {}) {
  return {
    object: 'event',
    type: 'user.created',
    timestamp: Date.now(),
    instance_id: 'ins_test',
    event_attributes: { http_request: { client_ip: '203.0.113.7', user_agent: 'test' } },
    data: {
      id: userId,
      object: 'user',
      email_addresses: [],
      public_metadata: {},
      private_metadata: {},
      unsafe_metadata: {},
      created_at: Date.now(),
      ...extra,
    },
  };
}

export const newUserId = () => `user_${randomBytes(20).toString('base64url').replace(/[-_]/g, 'x').slice(0, 27)}`;
