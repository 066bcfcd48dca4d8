import { Requirements } from './requirements.js';
import { ROLES, type ProcessRole, type RoleConfigs } from './roles.js';
import { envSchema } from './schema.js';
import { sampleSecretProblems } from './secrets.js';

export type {
  ClerkApiSettings,
  ClientConfig,
  CommonConfig,
  MetricsSettings,
  TelemetrySettings,
  OpsConfig,
  ProcessRole,
  RoleConfigs,
  TemporalSettings,
  WebhookConfig,
  WorkerConfig,
} from './roles.js';
export type { PostgresSettings, ProviderSettings, XataLiteSettings, XataSettings } from './provider.js';
export type { PostgresRegion } from './regions.js';
export { PROVIDERS, type ProviderName } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every setting.`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates the environment once, at a process edge, into what `role` needs. Every problem is
 * reported at once, each naming its variable; values are never echoed, since some are secrets.
 */
export function loadConfig<R extends ProcessRole>(rawEnv: Record<string, string | undefined>, role: R): RoleConfigs[R] {
  const parsed = envSchema.safeParse(rawEnv);
  const clerkApiUrl = rawEnv.CLERK_API_URL?.trim() || undefined;
  const samples =
    clerkApiUrl === undefined || URL.canParse(clerkApiUrl) ? sampleSecretProblems(rawEnv, clerkApiUrl) : [];
  if (!parsed.success) {
    throw new ConfigError([...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), ...samples]);
  }
  const required = new Requirements();
  const config = ROLES[role](parsed.data, rawEnv, required);
  const problems = [...required.problems, ...samples];
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
