import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseRegion, REGION_PREFERENCES } from '../../src/activities/region.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { parseClerkEvent, type UserCreatedEvent } from '../../src/clerk/events.js';
import { sharedCountryLookup } from '../../src/webhook/geoip.js';
import { signUpRegionHints } from '../../src/webhook/region-hints.js';
import { newUserId, userCreatedEvent } from '../helpers/pipeline.js';

const XATA = ['us-east-1', 'us-west-2', 'eu-central-1', 'eu-west-1', 'ap-southeast-2'];

describe('chooseRegion', () => {
  test('the sign-up region wins when the provider offers it', () => {
    assert.deepEqual(chooseRegion(XATA, { region: 'eu-west-1', country: 'AU' }), {
      region: 'eu-west-1',
      regionSource: 'sign-up',
    });
  });

  test('a region the provider does not offer is ignored with a reason, and the IP country decides', () => {
    const choice = chooseRegion(XATA, { region: 'mars-1', country: 'DE' });
    assert.equal(choice.region, 'eu-central-1');
    assert.equal(choice.regionSource, 'ip');
    assert.match(choice.regionIgnored ?? '', /"mars-1" is not offered/);
  });

  test('the IP country picks the nearest offered region from the built-in table', () => {
    assert.equal(chooseRegion(XATA, { country: 'FR' }).region, 'eu-west-1');
    assert.equal(chooseRegion(XATA, { country: 'US' }).region, 'us-east-1');
    assert.equal(chooseRegion(XATA, { country: 'NZ' }).region, 'ap-southeast-2');
    // Without ap-southeast-2, Asia-Pacific falls back to the US west coast.
    assert.equal(chooseRegion(['us-east-1', 'us-west-2'], { country: 'JP' }).region, 'us-west-2');
    assert.ok(REGION_PREFERENCES.size > 100);
  });

  test('the operator mapping comes first, `*` last; an unmapped country or unknown code gives the default', () => {
    const pg = ['eu', 'us'];
    const byCountry = { US: 'us', '*': 'eu' };
    assert.deepEqual(chooseRegion(pg, { country: 'US' }, byCountry), { region: 'us', regionSource: 'ip' });
    assert.deepEqual(chooseRegion(pg, { country: 'BR' }, byCountry), { region: 'eu', regionSource: 'ip' });
    assert.deepEqual(chooseRegion(pg, { country: 'BR' }), { region: 'eu', regionSource: 'default' });
    assert.deepEqual(chooseRegion(pg, { country: 'zz' }, byCountry), { region: 'eu', regionSource: 'default' });
    // A mapping to a region that is not configured is skipped.
    assert.equal(chooseRegion(pg, { country: 'DE' }, { DE: 'asia', '*': 'us' }).region, 'us');
  });

  test('no hints: the provider default; the receiver’s reason is carried through', () => {
    assert.deepEqual(chooseRegion(['local'], {}), { region: 'local', regionSource: 'default' });
    assert.deepEqual(chooseRegion(['local'], { regionIgnored: 'unsafe_metadata.region is a number' }), {
      region: 'local',
      regionSource: 'default',
      regionIgnored: 'unsafe_metadata.region is a number',
    });
  });
});

describe('offline GeoIP (ip-location-db, shipped in npm)', () => {
  const geo = sharedCountryLookup();

  test('public addresses of long-stable networks map to their country', () => {
    assert.equal(geo.country('193.99.144.80'), 'DE'); // heise.de, Hannover
    assert.equal(geo.country('139.130.4.5'), 'AU'); // Telstra
    assert.equal(geo.country('8.8.8.8'), 'US'); // Google Public DNS
    assert.equal(geo.country('::ffff:193.99.144.80'), 'DE');
  });

  test('private, loopback, documentation and malformed addresses have no country', () => {
    for (const ip of [
      '10.1.2.3',
      '2001:db8::1',
      '198.51.100.9',
      '192.168.0.1',
      '172.16.5.4',
      '127.0.0.1',
      '::1',
      'fe80::1',
      '100.64.0.1',
    ]) {
      assert.equal(geo.country(ip), undefined, ip);
    }
    for (const ip of ['203.0.113.7', '', 'not-an-ip', '999.1.1.1', '1.2.3', "1.1.1.1'; DROP TABLE x;--"]) {
      assert.equal(geo.country(ip), undefined, ip);
    }
  });
});

describe('signUpRegionHints', () => {
  const geo = sharedCountryLookup();
  function event(unsafe: Record<string, unknown>, clientIp = '203.0.113.7'): UserCreatedEvent {
    const raw = userCreatedEvent(newUserId(), { unsafe_metadata: unsafe });
    raw.event_attributes.http_request.client_ip = clientIp;
    const parsed = parseClerkEvent(raw);
    assert.ok(parsed.ok && parsed.event.type === 'user.created');
    return parsed.event as UserCreatedEvent;
  }

  test('a region-shaped string is passed on; the IP becomes a country, never passed on itself', () => {
    const hints = signUpRegionHints(event({ region: 'eu' }, '193.99.144.80'), geo);
    assert.deepEqual(hints, { region: 'eu', country: 'DE' });
  });

  test('a wrong type, an absurdly long string or an injection-looking one is dropped with a reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      [42, /is a number/],
      [['eu'], /is a array/],
      [{ name: 'eu' }, /is a object/],
      ['e'.repeat(10_000), /10000 characters long/],
      ["eu'; DROP DATABASE postgres; --", /not a region name/],
      ['../../etc/passwd', /not a region name/],
    ];
    for (const [region, reason] of cases) {
      const hints = signUpRegionHints(event({ region }), geo);
      assert.equal(hints.region, undefined);
      assert.match(hints.regionIgnored ?? '', reason);
    }
    assert.deepEqual(signUpRegionHints(event({}), geo), {});
    assert.deepEqual(signUpRegionHints(event({ region: null }, '10.0.0.1'), geo), {});
  });

  test('without a GeoIP database the IP is simply not used', () => {
    assert.deepEqual(signUpRegionHints(event({}, '193.99.144.80'), undefined), {});
  });
});

describe('region configuration', () => {
  const worker = { CLERK_SECRET_KEY: 'sk_test_x', TENANT_PASSWORD_SECRET: 'tenant-password-secret-for-unit-tests' };
  function problems(env: Record<string, string>): string[] {
    try {
      loadConfig(env, 'worker');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    assert.fail('expected a ConfigError');
  }

  test('POSTGRES_REGIONS replaces DATABASE_URL; the first region is the default; URLs may hold commas', () => {
    const config = loadConfig(
      {
        ...worker,
        POSTGRES_REGIONS: 'eu=postgres://a:p,w@eu-host:5432/postgres, us=postgresql://a:b@us-host/postgres',
        REGION_BY_COUNTRY: 'de:eu,US:us,*:eu',
      },
      'worker',
    );
    assert.equal(config.provider.kind, 'postgres');
    assert.deepEqual(config.provider.kind === 'postgres' && config.provider.servers, [
      { name: 'eu', adminUrl: 'postgres://a:p,w@eu-host:5432/postgres' },
      { name: 'us', adminUrl: 'postgresql://a:b@us-host/postgres' },
    ]);
    assert.deepEqual(config.regionByCountry, { DE: 'eu', US: 'us', '*': 'eu' });
  });

  test('each bad entry is named, and no URL (or its password) is echoed', () => {
    const found = problems({
      ...worker,
      POSTGRES_REGIONS: 'nourl,eu=postgres://a:hunter2@h/p,eu=postgres://a:hunter2@h2/p,us=mysql://a:hunter2@h/p',
      REGION_BY_COUNTRY: 'DEU:eu,FR:eu,FR:us,*:bad region',
    });
    assert.deepEqual(found, [
      'POSTGRES_REGIONS: entry 1: must be name=postgres://user:password@host:port/db',
      'POSTGRES_REGIONS: entry 3 (eu): region "eu" is listed twice',
      'POSTGRES_REGIONS: entry 4 (us): the admin URL must be a postgres:// URL',
      'REGION_BY_COUNTRY: entry 1: must be COUNTRY:region with a two-letter country code or *',
      'REGION_BY_COUNTRY: entry 3: FR is listed twice',
      'REGION_BY_COUNTRY: entry 4 (*): the region must be letters, digits, - and _, at most 63',
    ]);
    assert.ok(found.every((p) => !p.includes('hunter2')));
  });

  test('without POSTGRES_REGIONS, DATABASE_URL stays required', () => {
    assert.deepEqual(
      problems(worker).map((p) => p.split(':')[0]),
      ['DATABASE_URL'],
    );
  });
});
