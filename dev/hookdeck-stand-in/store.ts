import { randomBytes } from 'node:crypto';
import type { DestinationInput, SourceInput, UpsertConnectionBody } from './request-schema.js';

/** Hookdeck's JSON shapes (snake_case, ISO dates, `null` for unset), as `GET`/`PUT /connections` answer them. */
export interface SourceJson {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  url: string;
  verification: SourceInput['verification'] | null;
  allowed_http_methods: string[];
  custom_response: SourceInput['custom_response'] | null;
  disabled_at: null;
  updated_at: string;
  created_at: string;
}

export interface DestinationJson {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  url: string | null;
  cli_path: string | null;
  rate_limit: number | null;
  rate_limit_period: string | null;
  http_method: string | null;
  path_forwarding_disabled: boolean;
  disabled_at: null;
  updated_at: string;
  created_at: string;
}

export interface ConnectionJson {
  id: string;
  team_id: string;
  name: string | null;
  full_name: string;
  description: string | null;
  source: SourceJson;
  destination: DestinationJson;
  rules: NonNullable<UpsertConnectionBody['rules']>;
  disabled_at: null;
  paused_at: null;
  updated_at: string;
  created_at: string;
}

/** Thrown for a reference to something that does not exist (404 in Hookdeck's answers). */
export class UnknownReferenceError extends Error {}

const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;

/**
 * Sources and destinations are upserted by name, connections by (source, connection name), as Hookdeck does:
 * sending the same body twice changes nothing but `updated_at`.
 */
export function createConnectionStore() {
  const teamId = newId('tm');
  const sources = new Map<string, SourceJson>();
  const destinations = new Map<string, DestinationJson>();
  const stored = new Map<string, ConnectionJson>();

  const upsertSource = (input: SourceInput, now: string): SourceJson => {
    const existing = sources.get(input.name);
    const id = existing?.id ?? newId('src');
    const source: SourceJson = {
      id,
      team_id: teamId,
      name: input.name,
      description: input.description ?? existing?.description ?? null,
      url: existing?.url ?? `https://hkdk.events/${id.slice(4).toLowerCase()}`,
      verification: input.verification === undefined ? (existing?.verification ?? null) : input.verification,
      allowed_http_methods: input.allowed_http_methods ??
        existing?.allowed_http_methods ?? ['POST', 'PUT', 'PATCH', 'DELETE'],
      custom_response:
        input.custom_response === undefined ? (existing?.custom_response ?? null) : input.custom_response,
      disabled_at: null,
      updated_at: now,
      created_at: existing?.created_at ?? now,
    };
    sources.set(source.name, source);
    return source;
  };

  const upsertDestination = (input: DestinationInput, now: string): DestinationJson => {
    const existing = destinations.get(input.name);
    const destination: DestinationJson = {
      id: existing?.id ?? newId('des'),
      team_id: teamId,
      name: input.name,
      description: input.description ?? existing?.description ?? null,
      url: input.url ?? null,
      cli_path: input.cli_path ?? null,
      rate_limit: input.rate_limit ?? null,
      rate_limit_period: input.rate_limit_period ?? null,
      http_method: input.http_method ?? null,
      path_forwarding_disabled: input.path_forwarding_disabled ?? false,
      disabled_at: null,
      updated_at: now,
      created_at: existing?.created_at ?? now,
    };
    destinations.set(destination.name, destination);
    return destination;
  };

  const byId = <T extends { id: string }>(map: Map<string, T>, id: string, what: string): T => {
    for (const value of map.values()) if (value.id === id) return value;
    throw new UnknownReferenceError(`${what} ${id} not found`);
  };

  return {
    upsert(body: UpsertConnectionBody): ConnectionJson {
      const now = new Date().toISOString();
      const source = body.source ? upsertSource(body.source, now) : byId(sources, body.source_id ?? '', 'Source');
      const destination = body.destination
        ? upsertDestination(body.destination, now)
        : byId(destinations, body.destination_id ?? '', 'Destination');
      const name = body.name ?? null;
      const key = `${source.id}\u0000${name ?? destination.id}`;
      const existing = stored.get(key);
      const connection: ConnectionJson = {
        id: existing?.id ?? newId('web'),
        team_id: teamId,
        name,
        full_name: `${source.name} -> ${name ?? destination.name}`,
        description: body.description ?? existing?.description ?? null,
        source,
        destination,
        rules: body.rules ?? existing?.rules ?? [],
        disabled_at: null,
        paused_at: null,
        updated_at: now,
        created_at: existing?.created_at ?? now,
      };
      stored.set(key, connection);
      return connection;
    },
    /** Current state: a connection shows its source and destination as they are now, not as first stored. */
    list(filter: { id?: string; name?: string; source_id?: string; destination_id?: string }): ConnectionJson[] {
      return [...stored.values()]
        .map((c) => ({ ...c, source: sources.get(c.source.name)!, destination: destinations.get(c.destination.name)! }))
        .filter(
          (c) =>
            (filter.id === undefined || c.id === filter.id) &&
            (filter.name === undefined || c.name === filter.name) &&
            (filter.source_id === undefined || c.source.id === filter.source_id) &&
            (filter.destination_id === undefined || c.destination.id === filter.destination_id),
        );
    },
  };
}
