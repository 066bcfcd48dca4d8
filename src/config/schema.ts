import { z } from 'zod';
import { REGION_NAME_RULE, isRegionName } from '../domain/index.js';
import { parsePostgresRegions, parseRegionByCountry } from './regions.js';
import {
  isStrongSigningSecret,
  isStrongString,
  MAX_HOOKDECK_SVIX_MAX_AGE_SECONDS,
  MIN_HOOKDECK_SECRET_CHARS,
  MIN_SIGNING_SECRET_BYTES,
  MIN_TENANT_PASSWORD_SECRET_CHARS,
} from './secrets.js';

export const PROVIDERS = ['postgres', 'xata', 'xata-lite'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = (what: string) =>
  optionalString.refine((v) => v === undefined || URL.canParse(v), { message: `must be a URL (${what})` });

/** A setting `read` turns into a value, or refuses (undefined) with `message`; unset reads `fallback`. */
const readAs = <T>(read: (text: string) => T | undefined, fallback: string, message: string) =>
  optionalString.transform((v, ctx): T => {
    const value = read(v ?? fallback);
    if (value !== undefined) return value;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });

const postgresUrl = optionalString.refine(
  (v) => v === undefined || (URL.canParse(v) && /^postgres(ql)?:$/.test(new URL(v).protocol)),
  { message: 'must be a postgres:// URL (PostgreSQL admin connection, postgres://user:password@host:port/db)' },
);

const httpUrl = (what: string) =>
  optionalString.refine((v) => v === undefined || (URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)), {
    message: `must be an http(s) URL (${what})`,
  });

const regionName = optionalString.refine((v) => v === undefined || isRegionName(v), {
  message: `must be a region name: ${REGION_NAME_RULE}`,
});

/** Organization, project and workspace ids as Xata spells them. */
const xataId = (what: string) =>
  optionalString.refine((v) => v === undefined || /^[a-zA-Z0-9_~:-]+$/.test(v), {
    message: `must be a Xata ${what} id (letters, digits, _ ~ : -)`,
  });

/** XATA_LITE_HOST: `<main URL>,<workspaces URL template>`. */
function liteHost(text: string): { main: string; workspaces: string } | undefined {
  const [main, workspaces, ...rest] = text.split(',').map((part) => part.trim());
  return main && workspaces && rest.length === 0 ? { main, workspaces } : undefined;
}

const positiveInt = (fallback: number) =>
  optionalString
    .refine((v) => v === undefined || /^[1-9][0-9]*$/.test(v), { message: 'must be a whole number greater than 0' })
    .transform((v) => (v === undefined ? fallback : Number(v)));

const optionalPositiveNumber = optionalString
  .refine((v) => v === undefined || (Number.isFinite(Number(v)) && Number(v) > 0), {
    message: 'must be a number greater than 0',
  })
  .transform((v) => (v === undefined ? undefined : Number(v)));

/** 0 asks the OS for any free port. */
const port = (fallback: number) =>
  optionalString
    .refine((v) => v === undefined || (/^[0-9]+$/.test(v) && Number(v) <= 65535), {
      message: 'must be a port number (0-65535)',
    })
    .transform((v) => (v === undefined ? fallback : Number(v)));

const signingSecret = optionalString.refine((v) => v === undefined || isStrongSigningSecret(v), {
  message: `must be whsec_ followed by base64 of at least ${MIN_SIGNING_SECRET_BYTES} bytes (copy it from the Clerk dashboard)`,
});

/** A secret of at least `minChars` characters, not one character repeated. */
const strongString = (minChars: number, why: string) =>
  optionalString.refine((v) => v === undefined || isStrongString(v, minChars), {
    message: `must be at least ${minChars} characters, not one character repeated (${why})`,
  });

/** A port that may be left unset (the listener is then off); 0 asks the OS for any free port. */
const optionalPort = optionalString
  .refine((v) => v === undefined || (/^[0-9]+$/.test(v) && Number(v) <= 65535), {
    message: 'must be a port number (0-65535)',
  })
  .transform((v) => (v === undefined ? undefined : Number(v)));

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

/** A duration such as `10s` or `2m`, in milliseconds. */
const duration = (fallback: string) =>
  readAs(durationMs, fallback, 'must be a whole number with s, m, h or d (e.g. 10s, 2m)');

/** Every variable, each checked on its own; which are required depends on the role (roles.ts). */
export const envSchema = z.object({
  PORT: port(3000),
  PUBLIC_URL: url('where users reach the app, e.g. https://app.example.com'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .transform((v) => v ?? 'info'),
  WEBHOOK_MAX_BODY_BYTES: positiveInt(256 * 1024),

  // Prometheus endpoints, each on a port of its own (never the public one); unset = no metrics listener.
  WORKER_METRICS_PORT: optionalPort,
  WEBHOOK_METRICS_PORT: optionalPort,
  METRICS_HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl('OTLP/HTTP collector, e.g. http://localhost:4318'),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_UI_URL: url('Temporal Web UI'),
  TASK_QUEUE: optionalString.transform((v) => v ?? 'per-user-db'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt(16),
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt(100),
  // Defaults follow the Clerk instance the key belongs to (clerk-budget.ts).
  CLERK_RATE_LIMIT_PER_SECOND: optionalPositiveNumber,
  CLERK_BULK_RATE_LIMIT_PER_SECOND: optionalPositiveNumber,
  WORKER_SHUTDOWN_GRACE_TIME: duration('25s'),
  WORKER_SHUTDOWN_FORCE_TIME: duration('30s'),
  WEBHOOK_DRAIN_TIME: duration('10s'),

  CLERK_SECRET_KEY: optionalString,
  CLERK_API_URL: url('Clerk Backend API'),
  CLERK_PUBLISHABLE_KEY: optionalString,
  CLERK_WEBHOOK_SIGNING_SECRET: signingSecret,
  CLERK_WEBHOOK_SECRET: signingSecret,
  // PEM on one line with literal \n, as .env files and compose carry it, or on several lines.
  CLERK_JWT_KEY: optionalString
    .transform((v) => v?.replaceAll('\\n', '\n'))
    .refine(
      (v) => v === undefined || /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----$/.test(v),
      {
        message: "must be the PEM public key from Clerk's dashboard (API keys → JWT public key)",
      },
    ),
  CLERK_AUTHORIZED_PARTIES: optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const origins = v.split(',').map((origin) => origin.trim());
    const bad = origins.filter((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
    if (bad.length === 0) return origins;
    ctx.addIssue({ code: 'custom', message: 'must be comma-separated origins such as https://app.example.com' });
    return z.NEVER;
  }),
  DEMO_ACCOUNTS: booleanFlag(false),
  STATUS_API_RATE_LIMIT: positiveInt(120),

  DB_PROVIDER: z
    .enum(PROVIDERS, { message: `must be one of ${PROVIDERS.join(', ')}` })
    .optional()
    .transform((v) => v ?? 'postgres'),
  DATABASE_URL: postgresUrl,
  TENANT_PASSWORD_SECRET: strongString(MIN_TENANT_PASSWORD_SECRET_CHARS, 'tenant passwords are derived from it'),
  TENANT_PASSWORD_SECRET_PREVIOUS: strongString(MIN_TENANT_PASSWORD_SECRET_CHARS, 'the old secret during a rotation'),
  POSTGRES_KEEP_PUBLIC_CONNECT: booleanFlag(false),
  TENANT_CONNECTION_LIMIT: positiveInt(10),
  TENANT_STATEMENT_TIMEOUT: readAs(durationMs, '30s', 'must be a whole number with s, m, h or d (e.g. 30s, 5m)'),
  TENANT_IDLE_IN_TRANSACTION_TIMEOUT: readAs(
    durationMs,
    '60s',
    'must be a whole number with s, m, h or d (e.g. 60s, 5m)',
  ),
  POSTGRES_REGION: regionName.transform((v) => v ?? 'local'),
  POSTGRES_REGIONS: parsedList(parsePostgresRegions),
  REGION_BY_COUNTRY: parsedList(parseRegionByCountry),
  MIGRATIONS_DIR: optionalString,
  WORKFLOW_BUNDLE: optionalString,
  DATABASE_CONNECT_TIMEOUT: duration('10s'),
  DATABASE_STATEMENT_TIMEOUT: duration('1m'),
  DATABASE_LOCK_TIMEOUT: duration('30s'),

  XATA_API_KEY: optionalString,
  XATA_API_URL: httpUrl('Xata platform API'),
  XATA_ORGANIZATION_ID: xataId('organization'),
  XATA_PROJECT_ID: xataId('project'),
  XATA_PARENT_BRANCH: optionalString,
  XATA_WORKSPACE_ID: xataId('workspace'),
  XATA_WORKSPACE_SLUG: xataId('workspace'),
  XATA_REGION: regionName,
  XATA_TLS: booleanFlag(true),
  XATA_INSTANCE_TYPE: optionalString,
  XATA_IMAGE: optionalString,
  XATA_LITE_HOST: optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const host = liteHost(v);
    if (host) return host;
    ctx.addIssue({ code: 'custom', message: 'must be "<main URL>,<workspaces URL template>"' });
    return z.NEVER;
  }),
  XATA_LITE_POSTGRES_HOST: optionalString,
  XATA_LITE_POSTGRES_PORT: port(5432),
  XATA_LITE_POSTGRES_USER: optionalString,
  XATA_LITE_POSTGRES_DATABASE: optionalString,

  HOOKDECK_WEBHOOK_SECRET: strongString(MIN_HOOKDECK_SECRET_CHARS, "the Hookdeck project's signing secret"),
  HOOKDECK_API_KEY: optionalString,
  HOOKDECK_REQUIRED: booleanFlag(false),
  HOOKDECK_ACCEPT_WITHOUT_SVIX: booleanFlag(false),
  HOOKDECK_SVIX_MAX_AGE_SECONDS: positiveInt(86_400).refine((v) => v <= MAX_HOOKDECK_SVIX_MAX_AGE_SECONDS, {
    message: `must be at most ${MAX_HOOKDECK_SVIX_MAX_AGE_SECONDS} (7 days: Hookdeck stops retrying by then; longer only widens the replay window)`,
  }),

  RECONCILE_INTERVAL: readAs(
    (v) => (v === 'off' ? null : reconcileIntervalMs(v)),
    '1h',
    'must be "off" or a whole number with s, m, h or d, at least 1m (e.g. 30m, 1h, 1d)',
  ).transform((v) => v ?? undefined),
  RECONCILE_REMOVE_ORPHANS: booleanFlag(false),

  DELETE_GRACE_PERIOD: readAs(gracePeriodMs, '0', 'must be 0 or a whole number with s, m, h or d (e.g. 30m, 7d)'),
});

export type Env = z.output<typeof envSchema>;
