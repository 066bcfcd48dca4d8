import { HookdeckClient, HookdeckError, type Hookdeck } from '@hookdeck/sdk';
import { z } from 'zod';
import { HANDLED_EVENT_TYPES } from '../clerk/events.js';
import { ConfigError } from '../config/index.js';

export const DEFAULT_HOOKDECK_API_URL = 'https://api.hookdeck.com/2024-03-01';

/** Hookdeck's exponential strategy doubles the wait from `interval` on: 1, 2, 4, 8, 16 min, about half an hour. */
export const RETRY_RULE = { type: 'retry', strategy: 'exponential', count: 5, interval: 60_000 } as const;

export type Destination = { kind: 'url'; url: string } | { kind: 'cli'; cliPath: string };

export interface HookdeckSetupSettings {
  apiKey: string;
  /** Base URL including the API version (HOOKDECK_API_URL; a local stand-in in tests). */
  apiUrl: string;
  clerkSigningSecret: string;
  destination: Destination;
  sourceName: string;
  connectionName: string;
  destinationName: string;
}

export interface SetupFlags {
  url?: string;
  cliPath?: string;
  sourceName?: string;
  connectionName?: string;
  destinationName?: string;
}

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const hookdeckName = optional.refine((v) => v === undefined || /^[A-Za-z0-9_-]{1,155}$/.test(v), {
  message: 'must be 1-155 letters, digits, - or _',
});

const inputSchema = z.object({
  HOOKDECK_API_KEY: optional,
  HOOKDECK_API_URL: optional.refine((v) => v === undefined || /^https?:\/\//.test(v), {
    message: 'must be an http(s) URL ending with the API version, e.g. https://api.hookdeck.com/2024-03-01',
  }),
  CLERK_WEBHOOK_SIGNING_SECRET: optional,
  CLERK_WEBHOOK_SECRET: optional,
  url: optional.refine((v) => v === undefined || (URL.canParse(v) && /^https?:\/\//.test(v)), {
    message: 'must be an http(s) URL, e.g. https://app.example.com/webhooks/clerk',
  }),
  cliPath: optional.refine((v) => v === undefined || v.startsWith('/'), {
    message: 'must be a path starting with /, e.g. /webhooks/clerk',
  }),
  sourceName: hookdeckName,
  connectionName: hookdeckName,
  destinationName: hookdeckName,
});

const FLAG_NAMES: Record<string, string> = {
  url: '--url',
  cliPath: '--cli-path',
  sourceName: '--source-name',
  connectionName: '--connection-name',
  destinationName: '--destination-name',
};

/**
 * Settings for `npm run hookdeck:setup` from the environment (secrets) and flags (destination, names).
 * Every problem is reported at once, naming its variable or flag; values are never echoed.
 */
export function parseSetupSettings(env: Record<string, string | undefined>, flags: SetupFlags): HookdeckSetupSettings {
  const parsed = inputSchema.safeParse({ ...env, ...flags });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${FLAG_NAMES[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`),
    );
  }
  const input = parsed.data;
  const problems: string[] = [];
  if (!input.HOOKDECK_API_KEY) {
    problems.push('HOOKDECK_API_KEY: required (Hookdeck dashboard → Settings → Secrets → API key)');
  }
  const clerkSigningSecret = input.CLERK_WEBHOOK_SIGNING_SECRET ?? input.CLERK_WEBHOOK_SECRET;
  if (!clerkSigningSecret) {
    problems.push('CLERK_WEBHOOK_SIGNING_SECRET: required (Hookdeck verifies Clerk signatures with it)');
  } else if (!clerkSigningSecret.startsWith('whsec_')) {
    problems.push('CLERK_WEBHOOK_SIGNING_SECRET: must be the Clerk endpoint signing secret (whsec_…)');
  }
  if (Boolean(input.url) === Boolean(input.cliPath)) {
    problems.push('destination: give exactly one of --url <public URL> or --cli-path <path> (for hookdeck listen)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const sourceName = input.sourceName ?? 'clerk';
  const destination: Destination = input.url
    ? { kind: 'url', url: input.url }
    : { kind: 'cli', cliPath: input.cliPath! };
  // The CLI defaults are the names `hookdeck listen <port> clerk` gives its connection, so setup refines that one.
  const destinationName = input.destinationName ?? (destination.kind === 'cli' ? `cli-${sourceName}` : 'per-user-db');
  return {
    apiKey: input.HOOKDECK_API_KEY!,
    apiUrl: (input.HOOKDECK_API_URL ?? DEFAULT_HOOKDECK_API_URL).replace(/\/+$/, ''),
    clerkSigningSecret: clerkSigningSecret!,
    destination,
    sourceName,
    destinationName,
    connectionName: input.connectionName ?? `${sourceName}_to_${destinationName}`,
  };
}

/** The upsert: Clerk source verified with Svix, only the events we handle, exponential retries. */
export function connectionRequest(settings: HookdeckSetupSettings): Hookdeck.ConnectionUpsertRequest {
  return {
    name: settings.connectionName,
    source: {
      name: settings.sourceName,
      verification: { type: 'svix', configs: { webhookSecretKey: settings.clerkSigningSecret } },
    },
    destination:
      settings.destination.kind === 'url'
        ? { name: settings.destinationName, url: settings.destination.url }
        : { name: settings.destinationName, cliPath: settings.destination.cliPath },
    rules: [{ type: 'filter', body: { type: { $in: [...HANDLED_EVENT_TYPES] } } }, { ...RETRY_RULE }],
  };
}

export interface SetupResult {
  connectionId: string;
  sourceName: string;
  fullName: string;
  sourceUrl: string;
  destination: Destination;
}

/** A failure to say plainly (status and Hookdeck's message; never the request, which carries the secret). */
export class HookdeckSetupError extends Error {
  override name = 'HookdeckSetupError';
}

function describeFailure(error: unknown, apiUrl: string): HookdeckSetupError {
  if (!(error instanceof HookdeckError)) return new HookdeckSetupError(`Hookdeck setup failed: ${String(error)}`);
  if (error.statusCode === undefined) {
    return new HookdeckSetupError(`Could not reach the Hookdeck API at ${apiUrl}: ${error.message.split('\n')[0]}`);
  }
  const message = (error.body as { message?: unknown } | undefined)?.message;
  const detail = typeof message === 'string' ? `: ${message}` : '';
  if (error.statusCode === 401 || error.statusCode === 403) {
    return new HookdeckSetupError(`Hookdeck refused HOOKDECK_API_KEY (${error.statusCode})${detail}`);
  }
  return new HookdeckSetupError(`Hookdeck answered ${error.statusCode} to PUT /connections${detail}`);
}

/** Creates or updates the connection (idempotent: the same settings twice give the same connection). */
export async function upsertClerkConnection(settings: HookdeckSetupSettings): Promise<SetupResult> {
  const client = new HookdeckClient({ token: settings.apiKey, environment: settings.apiUrl });
  try {
    const connection = await client.connection.upsert(connectionRequest(settings), { timeoutInSeconds: 30 });
    return {
      connectionId: connection.id,
      sourceName: connection.source.name,
      fullName: connection.fullName ?? `${connection.source.name} -> ${connection.name ?? ''}`,
      sourceUrl: connection.source.url,
      destination: settings.destination,
    };
  } catch (error) {
    throw describeFailure(error, settings.apiUrl);
  }
}

/** What the command prints: what was set up and what to do next. No secret appears. */
export function formatSetupResult(result: SetupResult, events: readonly string[] = HANDLED_EVENT_TYPES): string {
  const target =
    result.destination.kind === 'url'
      ? `URL ${result.destination.url}`
      : `CLI path ${result.destination.cliPath} (run: hookdeck listen 3000 ${result.sourceName} --path ${result.destination.cliPath})`;
  return [
    `Hookdeck connection ready: ${result.fullName} (${result.connectionId})`,
    `  source URL:   ${result.sourceUrl}`,
    `                → add it as the endpoint in Clerk Dashboard → Webhooks`,
    `  verification: svix (Clerk's signing secret)`,
    `  filter:       body.type in ${events.join(', ')}`,
    `  retry:        ${RETRY_RULE.strategy}, ${RETRY_RULE.count} retries from ${RETRY_RULE.interval / 1000} s`,
    `  destination:  ${target}`,
    '',
  ].join('\n');
}
