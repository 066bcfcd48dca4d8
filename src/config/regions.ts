import { REGION_NAME_RULE, isRegionName } from '../domain/index.js';

// Parsers for the region settings; each problem names the entry, never a URL (it may hold a password).

export interface PostgresRegion {
  name: string;
  /** Admin connection URL of the server that holds this region's databases. */
  adminUrl: string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * POSTGRES_REGIONS: `eu=postgres://…@eu-host/postgres,us=postgres://…@us-host/postgres`, the first the
 * default. An entry starts at a comma followed by `name=`, so commas inside a URL are left alone.
 */
export function parsePostgresRegions(text: string): Parsed<PostgresRegion[]> {
  const problems: string[] = [];
  const regions: PostgresRegion[] = [];
  text.split(/,(?=\s*[A-Za-z0-9_-]+=)/).forEach((entry, index) => {
    const at = entry.indexOf('=');
    const name = at < 0 ? '' : entry.slice(0, at).trim();
    const adminUrl = at < 0 ? '' : entry.slice(at + 1).trim();
    const label = `entry ${index + 1}${isRegionName(name) ? ` (${name})` : ''}`;
    if (at < 0) return problems.push(`${label}: must be name=postgres://user:password@host:port/db`);
    if (!isRegionName(name)) return problems.push(`${label}: the region name must be ${REGION_NAME_RULE}`);
    if (regions.some((r) => r.name === name)) return problems.push(`${label}: region "${name}" is listed twice`);
    if (!URL.canParse(adminUrl) || !/^postgres(ql)?:$/.test(new URL(adminUrl).protocol)) {
      return problems.push(`${label}: the admin URL must be a postgres:// URL`);
    }
    regions.push({ name, adminUrl });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: regions };
}

/** REGION_BY_COUNTRY: `DE:eu,FR:eu,US:us,*:us` (ISO 3166 alpha-2 country codes; `*` for the rest). */
export function parseRegionByCountry(text: string): Parsed<Record<string, string>> {
  const problems: string[] = [];
  const map: Record<string, string> = {};
  text.split(',').forEach((entry, index) => {
    const [rawCountry = '', rawRegion = '', ...rest] = entry.split(':');
    const country = rawCountry.trim().toUpperCase();
    const region = rawRegion.trim();
    const label = `entry ${index + 1}`;
    if (rest.length > 0 || !/^([A-Z]{2}|\*)$/.test(country)) {
      return problems.push(`${label}: must be COUNTRY:region with a two-letter country code or *`);
    }
    if (!isRegionName(region)) return problems.push(`${label} (${country}): the region must be ${REGION_NAME_RULE}`);
    if (country in map) return problems.push(`${label}: ${country} is listed twice`);
    map[country] = region;
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: map };
}
