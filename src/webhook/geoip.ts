import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import { Reader } from 'maxmind';

/** IP → country, answered offline from the GeoIP database shipped in npm: no IP ever leaves the process. */
export interface CountryLookup {
  /** ISO 3166 alpha-2 code; undefined for private, loopback, reserved, unknown or malformed addresses. */
  country(ip: string): string | undefined;
}

/** ip-location-db's GeoFeed + WHOIS + ASN country database (CC0; IPv4 and IPv6; about 8 MB). */
const DATABASE = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';

// Addresses that say nothing about where a person is: private, loopback, link-local, shared, multicast, and the
// documentation and benchmarking ranges (the shipped data places 203.0.113.0/24 in AU, so a rule is needed).
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['2001:db8::', 32],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** The database read into memory (about 8 MB, some 15 ms) and answered from there (microseconds a lookup). */
export function openCountryLookup(file: string): CountryLookup {
  const reader = new Reader(readFileSync(file));
  return {
    country(ip) {
      const address = ip.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
      const family = isIP(address);
      if (family === 0 || NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6')) return undefined;
      const record: unknown = reader.get(address);
      const code = (record as { country_code?: unknown } | null)?.country_code;
      return typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : undefined;
    },
  };
}

let shared: CountryLookup | undefined;

/** The shipped database, opened once per process on first use. */
export function sharedCountryLookup(): CountryLookup {
  shared ??= openCountryLookup(createRequire(import.meta.url).resolve(DATABASE));
  return shared;
}
