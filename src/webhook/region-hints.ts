import { REGION_NAME_MAX_LENGTH, isRegionName } from '../domain/index.js';
import type { UserCreatedEvent } from '../clerk/events.js';
import type { CountryLookup } from './geoip.js';

export interface SignUpRegionHints {
  /** `unsafe_metadata.region` when it looks like a region name; the worker checks it against the provider. */
  region?: string;
  /** The sign-up IP's country. The IP itself stays here: it is personal data, kept out of workflow history. */
  country?: string;
  /** Why `unsafe_metadata.region` was dropped. */
  regionIgnored?: string;
}

/**
 * What a `user.created` says about where the user's database should go. `unsafe_metadata` is written by the
 * user's browser, so the region is only passed on if it is a short plain name; nothing here ever throws.
 */
export function signUpRegionHints(event: UserCreatedEvent, geo: CountryLookup | undefined): SignUpRegionHints {
  const hints: SignUpRegionHints = {};
  const requested = event.data.unsafe_metadata?.region;
  if (typeof requested === 'string' && isRegionName(requested)) hints.region = requested;
  else if (requested !== undefined && requested !== null) hints.regionIgnored = malformedReason(requested);
  const ip = event.event_attributes?.http_request?.client_ip;
  const country = ip && geo ? geo.country(ip) : undefined;
  if (country) hints.country = country;
  return hints;
}

function malformedReason(value: unknown): string {
  if (typeof value !== 'string') return `unsafe_metadata.region is a ${Array.isArray(value) ? 'array' : typeof value}`;
  if (value.length > REGION_NAME_MAX_LENGTH) {
    return `unsafe_metadata.region is ${value.length} characters long (at most ${REGION_NAME_MAX_LENGTH})`;
  }
  return 'unsafe_metadata.region is not a region name (letters, digits, - and _)';
}
