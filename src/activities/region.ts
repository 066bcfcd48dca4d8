import type { RegionSource } from '../domain/index.js';
/**
 * Where a new user's database goes: the region the user asked for at sign-up when the provider offers it, else
 * the region nearest the country their sign-up IP was in, else the provider's default (its first region).
 */

export type { RegionSource };

/** What the receiver learned at sign-up. None of it is trusted: each hint is checked against the provider. */
export interface RegionHints {
  /** `unsafe_metadata.region`, already shape-checked by the receiver (a short name, no odd characters). */
  region?: string;
  /** ISO 3166 alpha-2 code of the sign-up IP's country (from the offline GeoIP database). */
  country?: string;
  /** Why the receiver dropped the user's region before it got here (wrong type, too long, odd characters). */
  regionIgnored?: string;
}

export interface RegionChoice {
  region: string;
  regionSource: RegionSource;
  /** Why the region the user asked for was not used; absent when none was asked for or it was used. */
  regionIgnored?: string;
}

/** Operator's country → region names (REGION_BY_COUNTRY); `*` is every country it does not list. */
export type RegionByCountry = Readonly<Record<string, string>>;

// Built-in preferences for the Xata regions (us-east-1, us-west-2, eu-central-1, eu-west-1, ap-southeast-2),
// nearest first, each ending with a fallback on another continent. A country can only tell coasts apart in a
// few cases, so North America prefers us-east-1.
const EU_WEST = ['eu-west-1', 'eu-central-1', 'us-east-1'];
const EU_CENTRAL = ['eu-central-1', 'eu-west-1', 'us-east-1'];
const AMERICAS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const ASIA_PACIFIC = ['ap-southeast-2', 'us-west-2'];

const GROUPS: ReadonlyArray<[readonly string[], string]> = [
  [EU_WEST, 'GB IE IS PT ES FR BE NL LU AD GI IM JE GG FO'],
  [
    EU_CENTRAL,
    'DE AT CH LI IT SM VA MC MT SI HR HU CZ SK PL DK SE NO FI EE LV LT RO BG GR CY RS BA ME MK AL XK MD UA ' +
      'TR IL AE SA QA KW BH OM JO LB EG MA DZ TN ZA NG KE GH ET',
  ],
  [AMERICAS, 'US CA MX BR AR CL CO PE VE EC UY PY BO CR PA GT HN SV NI DO PR CU JM'],
  [ASIA_PACIFIC, 'AU NZ JP KR SG ID MY TH PH VN IN CN HK TW MO BD PK LK NP FJ PG'],
];

/** The built-in country → region preference table, for documentation and tests. */
export const REGION_PREFERENCES: ReadonlyMap<string, readonly string[]> = new Map(
  GROUPS.flatMap(([regions, countries]) => countries.split(' ').map((country) => [country, regions] as const)),
);

/**
 * Chooses among `offered` (the provider's regions, default first). Never throws on user input: a region the
 * provider does not offer is ignored and the reason returned, for the caller to log and record.
 */
export function chooseRegion(offered: string[], hints: RegionHints, byCountry: RegionByCountry = {}): RegionChoice {
  const fallback = offered[0];
  if (fallback === undefined) throw new Error('the provider offers no region');
  let regionIgnored = hints.regionIgnored;
  if (hints.region !== undefined) {
    if (offered.includes(hints.region)) return { region: hints.region, regionSource: 'sign-up' };
    regionIgnored = `region ${JSON.stringify(hints.region.slice(0, 64))} is not offered (offered: ${offered.join(', ')})`;
  }
  const withReason = regionIgnored === undefined ? {} : { regionIgnored };
  const country = hints.country;
  if (country !== undefined && /^[A-Z]{2}$/.test(country)) {
    const candidates = [byCountry[country], ...(REGION_PREFERENCES.get(country) ?? []), byCountry['*']];
    const region = candidates.find((r) => r !== undefined && offered.includes(r));
    if (region !== undefined) return { region, regionSource: 'ip', ...withReason };
  }
  return { region: fallback, regionSource: 'default', ...withReason };
}
