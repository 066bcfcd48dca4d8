import { fileURLToPath } from 'node:url';
import { clerkBudget } from './clerk-budget.js';
import type { SessionVerification } from '../clerk/session.js';
import { demoAccounts, type DemoAccounts } from './demo.js';
import { configuredRegions, providerSettings, type ProviderSettings } from './provider.js';
import type { Requirements } from './requirements.js';
import type { Env, ProviderName } from './schema.js';

/** The package's own tenant schema (from src/config or dist/config, two levels below the package root). */
const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface TemporalSettings {
  /** The raw TEMPORAL_* variables, handed to @temporalio/envconfig as they are. */
  env: Record<string, string>;
  uiUrl: string;
  namespace: string;
  taskQueue: string;
  clerkTaskQueue: string;
  /** Fleet migrations' Clerk writes: a queue and a rate of their own, so they never hold up sign-ups. */
  clerkBulkTaskQueue: string;
  maxConcurrentActivities: number;
  /** Workflow runs kept in the worker's sticky cache; the SDK's default grows with the heap limit (~2,300). */
  maxCachedWorkflows: number;
  clerkRatePerSecond: number;
  clerkBulkRatePerSecond: number;
}

/** A Prometheus listener of its own; `port` undefined when metrics are off. */
export interface MetricsSettings {
  port?: number;
  host: string;
}

/** What every role has: logging and where Temporal is. */
export interface CommonConfig {
  logLevel: Env['LOG_LEVEL'];
  temporal: TemporalSettings;
}

/** The long-running services (worker, receiver): metrics and traces. */
export interface TelemetrySettings {
  metrics: MetricsSettings;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: where spans go (OTLP/HTTP); undefined = no tracing. */
  otlpEndpoint?: string;
}

/** The Clerk Backend API, for roles that call it. */
export interface ClerkApiSettings {
  secretKey: string;
  apiUrl?: string;
}

/**
 * `per-user-db worker`: runs the workflows and activities. Its `metrics` (WORKER_METRICS_PORT) serve ours and
 * the Temporal SDK's, merged on one endpoint.
 */
export interface WorkerConfig extends CommonConfig, TelemetrySettings {
  /** The tenant schema: a folder of NNNN_name.sql files. */
  migrationsDir: string;
  /**
   * WORKFLOW_BUNDLE: a prebuilt workflow bundle (`scripts/bundle-workflows.ts` writes it and its tracing twin);
   * unset = the build's (dist/), or the sources bundled at start under tsx.
   */
  workflowBundle?: string;
  clerk: ClerkApiSettings;
  provider: ProviderSettings;
  /** REGION_BY_COUNTRY: country → region for sign-ups by IP, before the built-in table (any provider). */
  regionByCountry?: Record<string, string>;
  shutdown: {
    /** On SIGTERM, running activities get this long to finish before they are cancelled. */
    graceMs: number;
    /** After this long the worker stops whatever still runs (its activities retry elsewhere). */
    forceMs: number;
  };
  reconcile: {
    /** How often the worker's Temporal Schedule runs reconciliation; undefined (`off`) removes the schedule. */
    intervalMs?: number;
    /** Scheduled runs deprovision databases whose Clerk user no longer exists (otherwise they only report them). */
    removeOrphans: boolean;
  };
}

/**
 * `per-user-db webhook`: the receiver, the status API and the demo page. Its `metrics` (WEBHOOK_METRICS_PORT)
 * are off the public port.
 */
export interface WebhookConfig extends CommonConfig, TelemetrySettings {
  port: number;
  publicUrl: string;
  webhookMaxBodyBytes: number;
  /** On SIGTERM, requests in flight get this long to be answered before their connections are closed. */
  drainMs: number;
  clerk: {
    /** Verifies Clerk's Svix signatures (CLERK_WEBHOOK_SIGNING_SECRET, alias CLERK_WEBHOOK_SECRET). */
    webhookSigningSecret: string;
    /** Without it the demo's account routes are off. */
    secretKey?: string;
    apiUrl?: string;
    publishableKey?: string;
  };
  /**
   * How the status API checks the user's Clerk session: CLERK_JWT_KEY (networkless) or CLERK_SECRET_KEY (JWKS
   * from the Clerk API); undefined when neither is set, and the status API then refuses every request.
   */
  session?: SessionVerification;
  /** STATUS_API_RATE_LIMIT: requests per minute per signed-in user (or per IP before sign-in). */
  statusApi: { ratePerMinute: number };
  /** What the demo page shows: the provider and the regions it is configured for (never its secrets). */
  demo: { provider: ProviderName; regions: string[]; accounts?: DemoAccounts };
  hookdeck: {
    webhookSecret?: string;
    /** Refuse deliveries that did not come through Hookdeck. */
    required: boolean;
    /** Accept Hookdeck-signed deliveries that lack Clerk's Svix headers (when Hookdeck says it verified them). */
    acceptWithoutSvix: boolean;
    /** How old Clerk's Svix timestamp may be on a delivery Hookdeck retried or replayed. */
    svixMaxAgeSeconds: number;
  };
  deletion: {
    /**
     * How long a deleted user's database is kept, locked, before it is dropped (a `restore` within it keeps
     * it); 0 drops at once. Applies to `user.deleted`; operator and orphan removals drop at once.
     */
    gracePeriodMs: number;
  };
}

/** CLI commands that only start and query workflows (`migrate`, `ops status|provision|deprovision|reconcile`). */
export interface ClientConfig extends CommonConfig {
  migrationsDir: string;
  /** When CLERK_SECRET_KEY is set, `ops status` also reads Clerk (the current schema version, runs past retention). */
  clerk?: ClerkApiSettings;
}

/** CLI commands that read Clerk and the provider directly (`ops users`). */
export interface OpsConfig extends CommonConfig {
  clerk: ClerkApiSettings;
  provider: ProviderSettings;
}

export interface RoleConfigs {
  worker: WorkerConfig;
  webhook: WebhookConfig;
  client: ClientConfig;
  ops: OpsConfig;
}

/** Which process is asking: each gets the settings it needs, those it cannot work without required. */
export type ProcessRole = keyof RoleConfigs;

function common(env: Env, rawEnv: Record<string, string | undefined>, required: Requirements): CommonConfig {
  const temporalEnv = Object.fromEntries(
    Object.entries(rawEnv).filter((e): e is [string, string] => e[0].startsWith('TEMPORAL_') && e[1] !== undefined),
  );
  const budget = clerkBudget(env.CLERK_SECRET_KEY);
  // One budget for the fleet, as Clerk counts it: the bulk queue's rate is carved out of it, not added on top.
  const clerkTotal = env.CLERK_RATE_LIMIT_PER_SECOND ?? budget.total;
  const clerkBulk = env.CLERK_BULK_RATE_LIMIT_PER_SECOND ?? clerkTotal * budget.bulkShare;
  if (clerkBulk >= clerkTotal) {
    required.refuse(
      'CLERK_BULK_RATE_LIMIT_PER_SECOND',
      "must be less than CLERK_RATE_LIMIT_PER_SECOND (the whole fleet's Clerk rate, bulk writes included)",
    );
  }
  return {
    logLevel: env.LOG_LEVEL,
    temporal: {
      env: temporalEnv,
      uiUrl: (env.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/$/, ''),
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.TASK_QUEUE,
      clerkTaskQueue: `${env.TASK_QUEUE}-clerk`,
      clerkBulkTaskQueue: `${env.TASK_QUEUE}-clerk-bulk`,
      maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      clerkRatePerSecond: clerkTotal - clerkBulk,
      clerkBulkRatePerSecond: clerkBulk,
    },
  };
}

const clerkApi = (env: Env, required: Requirements, why: string): ClerkApiSettings => ({
  secretKey: required.need(env.CLERK_SECRET_KEY, 'CLERK_SECRET_KEY', why),
  apiUrl: env.CLERK_API_URL,
});

/** `{ [key]: value }`, or nothing when the value is undefined (so an unset feature is no key at all). */
const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

function sessionVerification(env: Env): SessionVerification | undefined {
  if (!env.CLERK_JWT_KEY && !env.CLERK_SECRET_KEY) return undefined;
  return {
    jwtKey: env.CLERK_JWT_KEY,
    secretKey: env.CLERK_SECRET_KEY,
    apiUrl: env.CLERK_API_URL,
    authorizedParties: env.CLERK_AUTHORIZED_PARTIES,
  };
}

type Build<C> = (env: Env, rawEnv: Record<string, string | undefined>, required: Requirements) => C;

export const ROLES: { [R in ProcessRole]: Build<RoleConfigs[R]> } = {
  worker: (env, rawEnv, required) => ({
    ...common(env, rawEnv, required),
    migrationsDir: env.MIGRATIONS_DIR ?? DEFAULT_MIGRATIONS_DIR,
    workflowBundle: env.WORKFLOW_BUNDLE,
    metrics: { port: env.WORKER_METRICS_PORT, host: env.METRICS_HOST },
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    clerk: clerkApi(env, required, 'the worker records each database on the Clerk user'),
    provider: providerSettings(env, required),
    regionByCountry: env.REGION_BY_COUNTRY,
    reconcile: { intervalMs: env.RECONCILE_INTERVAL, removeOrphans: env.RECONCILE_REMOVE_ORPHANS },
    shutdown: { graceMs: env.WORKER_SHUTDOWN_GRACE_TIME, forceMs: env.WORKER_SHUTDOWN_FORCE_TIME },
  }),
  webhook: (env, rawEnv, required) => {
    const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
    return {
      ...common(env, rawEnv, required),
      port: env.PORT,
      metrics: { port: env.WEBHOOK_METRICS_PORT, host: env.METRICS_HOST },
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
      publicUrl,
      webhookMaxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
      drainMs: env.WEBHOOK_DRAIN_TIME,
      clerk: {
        webhookSigningSecret: required.need(
          env.CLERK_WEBHOOK_SIGNING_SECRET ?? env.CLERK_WEBHOOK_SECRET,
          'CLERK_WEBHOOK_SIGNING_SECRET',
          'the webhook receiver verifies Clerk signatures with it',
        ),
        secretKey: env.CLERK_SECRET_KEY,
        apiUrl: env.CLERK_API_URL,
        publishableKey: env.CLERK_PUBLISHABLE_KEY,
      },
      session: sessionVerification(env),
      statusApi: { ratePerMinute: env.STATUS_API_RATE_LIMIT },
      demo: {
        provider: env.DB_PROVIDER,
        regions: configuredRegions(env),
        ...optional('accounts', demoAccounts(env, publicUrl, required)),
      },
      hookdeck: {
        webhookSecret: env.HOOKDECK_REQUIRED
          ? required.need(
              env.HOOKDECK_WEBHOOK_SECRET,
              'HOOKDECK_WEBHOOK_SECRET',
              'HOOKDECK_REQUIRED=true: deliveries are checked against it',
            )
          : env.HOOKDECK_WEBHOOK_SECRET,
        required: env.HOOKDECK_REQUIRED,
        acceptWithoutSvix: env.HOOKDECK_ACCEPT_WITHOUT_SVIX,
        svixMaxAgeSeconds: env.HOOKDECK_SVIX_MAX_AGE_SECONDS,
      },
      deletion: { gracePeriodMs: env.DELETE_GRACE_PERIOD },
    };
  },
  client: (env, rawEnv, required) => ({
    ...common(env, rawEnv, required),
    migrationsDir: env.MIGRATIONS_DIR ?? DEFAULT_MIGRATIONS_DIR,
    ...(env.CLERK_SECRET_KEY && { clerk: { secretKey: env.CLERK_SECRET_KEY, apiUrl: env.CLERK_API_URL } }),
  }),
  ops: (env, rawEnv, required) => ({
    ...common(env, rawEnv, required),
    clerk: clerkApi(env, required, 'ops users lists the Clerk users'),
    provider: providerSettings(env, required),
  }),
};
