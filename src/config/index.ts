import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parsePostgresRegions, parseRegionByCountry, type PostgresRegion } from './regions.js';

/** The package's own tenant schema (from src/config or dist/config, two levels below the package root). */
const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Which process is asking: each needs a different subset of the settings. */
export type ProcessRole = 'webhook' | 'worker' | 'client';

export const PROVIDERS = ['postgres', 'xata', 'xata-lite'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = (what: string) =>
  optionalString.refine((v) => v === undefined || URL.canParse(v), { message: `must be a URL (${what})` });

const positiveInt = (fallback: number) =>
  optionalString
    .refine((v) => v === undefined || /^[1-9][0-9]*$/.test(v), { message: 'must be a whole number greater than 0' })
    .transform((v) => (v === undefined ? fallback : Number(v)));

const positiveNumber = (fallback: number) =>
  optionalString
    .refine((v) => v === undefined || (Number.isFinite(Number(v)) && Number(v) > 0), {
      message: 'must be a number greater than 0',
    })
    .transform((v) => (v === undefined ? fallback : Number(v)));

/** 0 asks the OS for any free port. */
const port = (fallback: number) =>
  optionalString
    .refine((v) => v === undefined || (/^[0-9]+$/.test(v) && Number(v) <= 65535), {
      message: 'must be a port number (0-65535)',
    })
    .transform((v) => (v === undefined ? fallback : Number(v)));

const booleanFlag = (fallback: boolean) =>
  optionalString
    .refine((v) => v === undefined || v === 'true' || v === 'false', { message: 'must be true or false' })
    .transform((v) => (v === undefined ? fallback : v === 'true'));

/** A list setting parsed by `parse`; each of its problems becomes an issue on the variable. */
const parsedList = <T>(parse: (text: string) => { ok: true; value: T } | { ok: false; problems: string[] }) =>
  optionalString.transform((v, ctx): T | undefined => {
    if (v === undefined) return undefined;
    const result = parse(v);
    if (result.ok) return result.value;
    for (const message of result.problems) ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });

const DURATION_UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `30m`, `1h`, `7d` in milliseconds; undefined when malformed. */
function durationMs(text: string): number | undefined {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(text);
  return match ? Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS] : undefined;
}

/** A duration of at least a minute in milliseconds; undefined when malformed or shorter. */
function reconcileIntervalMs(text: string): number | undefined {
  const ms = durationMs(text);
  return ms !== undefined && ms >= 60_000 ? ms : undefined;
}

/** `0` (drop at once) or a duration. */
const gracePeriodMs = (text: string): number | undefined => (text === '0' ? 0 : durationMs(text));

const envSchema = z.object({
  PORT: port(3000),
  PUBLIC_URL: url('where users reach the app, e.g. https://app.example.com'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .transform((v) => v ?? 'info'),
  WEBHOOK_MAX_BODY_BYTES: positiveInt(256 * 1024),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_UI_URL: url('Temporal Web UI'),
  TASK_QUEUE: optionalString.transform((v) => v ?? 'per-user-db'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt(16),
  CLERK_RATE_LIMIT_PER_SECOND: positiveNumber(5),

  CLERK_SECRET_KEY: optionalString,
  CLERK_API_URL: url('Clerk Backend API'),
  CLERK_PUBLISHABLE_KEY: optionalString,
  CLERK_WEBHOOK_SIGNING_SECRET: optionalString,
  CLERK_WEBHOOK_SECRET: optionalString,

  DB_PROVIDER: z
    .enum(PROVIDERS, { message: `must be one of ${PROVIDERS.join(', ')}` })
    .optional()
    .transform((v) => v ?? 'postgres'),
  DATABASE_URL: url('PostgreSQL admin connection, postgres://user:password@host:port/db'),
  TENANT_PASSWORD_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters (tenant passwords are derived from it)',
  }),
  POSTGRES_REGION: optionalString.transform((v) => v ?? 'local'),
  POSTGRES_REGIONS: parsedList(parsePostgresRegions),
  REGION_BY_COUNTRY: parsedList(parseRegionByCountry),
  MIGRATIONS_DIR: optionalString,

  XATA_API_KEY: optionalString,
  XATA_API_URL: url('Xata platform API'),
  XATA_ORGANIZATION_ID: optionalString,
  XATA_PROJECT_ID: optionalString,
  XATA_PARENT_BRANCH: optionalString,
  XATA_WORKSPACE_ID: optionalString,
  XATA_WORKSPACE_SLUG: optionalString,
  XATA_REGION: optionalString,
  XATA_TLS: booleanFlag(true),
  XATA_INSTANCE_TYPE: optionalString,
  XATA_IMAGE: optionalString,
  XATA_LITE_HOST: optionalString.refine((v) => v === undefined || v.split(',').length === 2, {
    message: 'must be "<main URL>,<workspaces URL template>"',
  }),
  XATA_LITE_POSTGRES_HOST: optionalString,
  XATA_LITE_POSTGRES_PORT: port(5432),
  XATA_LITE_POSTGRES_USER: optionalString,
  XATA_LITE_POSTGRES_DATABASE: optionalString,

  HOOKDECK_WEBHOOK_SECRET: optionalString,
  HOOKDECK_API_KEY: optionalString,
  HOOKDECK_REQUIRED: booleanFlag(false),
  HOOKDECK_ACCEPT_WITHOUT_SVIX: booleanFlag(false),
  HOOKDECK_SVIX_MAX_AGE_SECONDS: positiveInt(86_400),

  RECONCILE_INTERVAL: optionalString
    .refine((v) => v === undefined || v === 'off' || reconcileIntervalMs(v) !== undefined, {
      message: 'must be "off" or a whole number with s, m, h or d, at least 1m (e.g. 30m, 1h, 1d)',
    })
    .transform((v) => (v === 'off' ? undefined : reconcileIntervalMs(v ?? '1h'))),
  RECONCILE_REMOVE_ORPHANS: booleanFlag(false),

  DELETE_GRACE_PERIOD: optionalString
    .refine((v) => v === undefined || gracePeriodMs(v) !== undefined, {
      message: 'must be 0 or a whole number with s, m, h or d (e.g. 30m, 7d)',
    })
    .transform((v) => gracePeriodMs(v ?? '0')!),
});

type Env = z.output<typeof envSchema>;

export interface Config {
  port: number;
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  webhookMaxBodyBytes: number;
  temporal: {
    /** The raw TEMPORAL_* variables, handed to @temporalio/envconfig as they are. */
    env: Record<string, string>;
    uiUrl: string;
    namespace: string;
    taskQueue: string;
    clerkTaskQueue: string;
    maxConcurrentActivities: number;
    clerkRatePerSecond: number;
  };
  clerk: {
    secretKey?: string;
    apiUrl?: string;
    publishableKey?: string;
    webhookSigningSecret?: string;
  };
  provider: ProviderName;
  /** The tenant schema: a folder of NNNN_name.sql files. */
  migrationsDir: string;
  postgres: {
    adminUrl?: string;
    passwordSecret?: string;
    region: string;
    /** POSTGRES_REGIONS: one server per region, the first the default; replaces DATABASE_URL for tenants. */
    regions?: PostgresRegion[];
  };
  /** REGION_BY_COUNTRY: country → region for sign-ups by IP, before the built-in table (any provider). */
  regionByCountry?: Record<string, string>;
  xata: {
    apiKey?: string;
    apiUrl?: string;
    organizationId?: string;
    projectId?: string;
    parentBranch?: string;
    workspaceId?: string;
    region?: string;
    /** TLS to branch databases; only a local stand-in turns it off. */
    tls: boolean;
    instanceType?: string;
    image?: string;
    /** Xata Lite hosts and PostgreSQL endpoint overrides (a local stand-in); unset means Xata's own. */
    liteHost?: { main: string; workspaces: string };
    litePostgres?: { host: string; port: number; user?: string; database?: string };
  };
  hookdeck: {
    webhookSecret?: string;
    apiKey?: string;
    /** Refuse deliveries that did not come through Hookdeck. */
    required: boolean;
    /** Accept Hookdeck-signed deliveries that lack Clerk's Svix headers (when Hookdeck says it verified them). */
    acceptWithoutSvix: boolean;
    /** How old Clerk's Svix timestamp may be on a delivery Hookdeck retried or replayed. */
    svixMaxAgeSeconds: number;
  };
  reconcile: {
    /** How often the worker's Temporal Schedule runs reconciliation; undefined (`off`) removes the schedule. */
    intervalMs?: number;
    /** Scheduled runs deprovision databases whose Clerk user no longer exists (otherwise they only report them). */
    removeOrphans: boolean;
  };
  deletion: {
    /**
     * How long a deleted user's database is kept, locked, before it is dropped (a `restore` within it keeps
     * it); 0 drops at once. Applies to `user.deleted`; operator and orphan removals drop at once.
     */
    gracePeriodMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every setting.`);
    this.name = 'ConfigError';
  }
}

function requirements(env: Env, role: ProcessRole): string[] {
  const missing: Array<[string, string]> = [];
  const need = (name: keyof Env, why: string) => {
    if (env[name] === undefined) missing.push([name, why]);
  };
  if (role === 'webhook') {
    if (!env.CLERK_WEBHOOK_SIGNING_SECRET && !env.CLERK_WEBHOOK_SECRET) {
      missing.push(['CLERK_WEBHOOK_SIGNING_SECRET', 'the webhook receiver verifies Clerk signatures with it']);
    }
  }
  if (role === 'worker') {
    need('CLERK_SECRET_KEY', 'the worker records each database on the Clerk user');
    if (env.DB_PROVIDER === 'postgres') {
      if (!env.POSTGRES_REGIONS) need('DATABASE_URL', 'DB_PROVIDER=postgres creates databases through it');
      need('TENANT_PASSWORD_SECRET', 'tenant passwords are derived from it');
    }
    if (env.DB_PROVIDER === 'xata') {
      need('XATA_API_KEY', 'DB_PROVIDER=xata');
      need('XATA_ORGANIZATION_ID', 'DB_PROVIDER=xata');
      need('XATA_PROJECT_ID', 'DB_PROVIDER=xata');
    }
    if (env.DB_PROVIDER === 'xata-lite') {
      need('XATA_API_KEY', 'DB_PROVIDER=xata-lite');
      if (!env.XATA_WORKSPACE_ID && !env.XATA_WORKSPACE_SLUG)
        missing.push(['XATA_WORKSPACE_ID', 'DB_PROVIDER=xata-lite']);
    }
  }
  return missing.map(([name, why]) => `${name}: required (${why})`);
}

/**
 * Parses and validates the environment once, at a process edge. Every problem is reported at once, each
 * naming its variable; values are never echoed, since some are secrets.
 */
export function loadConfig(rawEnv: Record<string, string | undefined>, role: ProcessRole): Config {
  const parsed = envSchema.safeParse(rawEnv);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const env = parsed.data;
  const problems = requirements(env, role);
  if (problems.length > 0) throw new ConfigError(problems);

  const temporalEnv = Object.fromEntries(
    Object.entries(rawEnv).filter((e): e is [string, string] => e[0].startsWith('TEMPORAL_') && e[1] !== undefined),
  );
  return {
    port: env.PORT,
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${env.PORT}`,
    logLevel: env.LOG_LEVEL,
    webhookMaxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
    temporal: {
      env: temporalEnv,
      uiUrl: (env.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/$/, ''),
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.TASK_QUEUE,
      clerkTaskQueue: `${env.TASK_QUEUE}-clerk`,
      maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
      clerkRatePerSecond: env.CLERK_RATE_LIMIT_PER_SECOND,
    },
    clerk: {
      secretKey: env.CLERK_SECRET_KEY,
      apiUrl: env.CLERK_API_URL,
      publishableKey: env.CLERK_PUBLISHABLE_KEY,
      webhookSigningSecret: env.CLERK_WEBHOOK_SIGNING_SECRET ?? env.CLERK_WEBHOOK_SECRET,
    },
    provider: env.DB_PROVIDER,
    migrationsDir: env.MIGRATIONS_DIR ?? DEFAULT_MIGRATIONS_DIR,
    postgres: {
      adminUrl: env.DATABASE_URL,
      passwordSecret: env.TENANT_PASSWORD_SECRET,
      region: env.POSTGRES_REGION,
      regions: env.POSTGRES_REGIONS,
    },
    regionByCountry: env.REGION_BY_COUNTRY,
    xata: {
      apiKey: env.XATA_API_KEY,
      apiUrl: env.XATA_API_URL,
      organizationId: env.XATA_ORGANIZATION_ID,
      projectId: env.XATA_PROJECT_ID,
      parentBranch: env.XATA_PARENT_BRANCH,
      workspaceId: env.XATA_WORKSPACE_ID ?? env.XATA_WORKSPACE_SLUG,
      region: env.XATA_REGION,
      tls: env.XATA_TLS,
      instanceType: env.XATA_INSTANCE_TYPE,
      image: env.XATA_IMAGE,
      liteHost: env.XATA_LITE_HOST
        ? { main: env.XATA_LITE_HOST.split(',')[0]!.trim(), workspaces: env.XATA_LITE_HOST.split(',')[1]!.trim() }
        : undefined,
      litePostgres: env.XATA_LITE_POSTGRES_HOST
        ? {
            host: env.XATA_LITE_POSTGRES_HOST,
            port: env.XATA_LITE_POSTGRES_PORT,
            user: env.XATA_LITE_POSTGRES_USER,
            database: env.XATA_LITE_POSTGRES_DATABASE,
          }
        : undefined,
    },
    hookdeck: {
      webhookSecret: env.HOOKDECK_WEBHOOK_SECRET,
      apiKey: env.HOOKDECK_API_KEY,
      required: env.HOOKDECK_REQUIRED,
      acceptWithoutSvix: env.HOOKDECK_ACCEPT_WITHOUT_SVIX,
      svixMaxAgeSeconds: env.HOOKDECK_SVIX_MAX_AGE_SECONDS,
    },
    reconcile: { intervalMs: env.RECONCILE_INTERVAL, removeOrphans: env.RECONCILE_REMOVE_ORPHANS },
    deletion: { gracePeriodMs: env.DELETE_GRACE_PERIOD },
  };
}
