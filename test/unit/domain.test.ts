import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clerkUserIdSchema,
  isClerkUserId,
  isRegionName,
  maskUrl,
  redactSecrets,
  regionNameSchema,
} from '../../src/domain/index.js';

describe('Clerk user ids', () => {
  test('Clerk’s own ids (from real payloads) and short base62 ids are accepted, case kept', () => {
    for (const id of ['user_29w83sxmDNGwOuEthce5gg56FcC', 'user_2g7np7Hrk0SN6kj5EDMLDaKNL0S', 'user_a', 'user_aB']) {
      assert.equal(clerkUserIdSchema.parse(id), id);
    }
    assert.ok(isClerkUserId(`user_${'Z'.repeat(51)}`));
  });

  test('anything else is refused: other prefixes, punctuation, unicode, empty, huge', () => {
    const refused = [
      '',
      'user_',
      'user',
      'USER_abc',
      'sess_abc',
      'user_abc ',
      ' user_abc',
      'user_abc\n',
      'user_a-b',
      'user_a_b',
      'user_../etc',
      'user_abç',
      'user_ａｂｃ', // full-width letters
      'user_abc\u200b', // zero-width space
      'user_😀',
      `user_${'a'.repeat(65)}`,
      `user_${'a'.repeat(1_000_000)}`,
    ];
    for (const id of refused) {
      assert.equal(isClerkUserId(id), false, JSON.stringify(id.slice(0, 40)));
      assert.equal(clerkUserIdSchema.safeParse(id).success, false);
    }
  });

  test('the rule is exactly user_ + 1..51 ASCII letters and digits (tenant_user_… fits 63 bytes)', () => {
    const base62 = /^[0-9A-Za-z]$/;
    // Every character of the Basic Multilingual Plane plus a few astral ones, in the middle of an id.
    const chars = [...Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c)), '😀', '𝐀', '\u{1F1E9}'];
    for (const c of chars) assert.equal(isClerkUserId(`user_ab${c}cd`), base62.test(c), `U+${c.codePointAt(0)}`);
    for (let length = 0; length <= 80; length++) {
      assert.equal(isClerkUserId(`user_${'x'.repeat(length)}`), length >= 1 && length <= 51, `length ${length}`);
    }
  });
});

describe('region names', () => {
  test('provider spellings are accepted', () => {
    for (const name of ['eu', 'us-east-1', 'eu-central-1', 'ap_southeast_2', 'local', 'A', 'r'.repeat(63)]) {
      assert.ok(isRegionName(name), name);
      assert.equal(regionNameSchema.parse(name), name);
    }
  });

  test('leading punctuation, spaces, dots, unicode and names over 63 characters are refused', () => {
    for (const name of ['', '-eu', '_eu', 'eu west', 'eu.west', 'eu/1', 'ëu', 'eu\n', 'r'.repeat(64)]) {
      assert.equal(isRegionName(name), false, JSON.stringify(name));
      assert.match(regionNameSchema.safeParse(name).error?.issues[0]?.message ?? '', /at most 63/);
    }
  });
});

describe('secret masking', () => {
  test('a URL keeps its server and user but loses its password and query', () => {
    assert.equal(
      maskUrl('postgres://admin:s3cr%40t@db.example.com:5432/postgres?sslmode=require&password=x'),
      'postgres://admin:***@db.example.com:5432/postgres?***',
    );
    assert.equal(maskUrl('postgres://admin@db:5432/postgres'), 'postgres://admin@db:5432/postgres');
    assert.equal(maskUrl('https://hooks.example.com/in?token=abc'), 'https://hooks.example.com/in?***');
    assert.equal(maskUrl('not a url with p4ssword'), '[redacted]');
  });

  test('no password survives maskUrl, whatever its characters', () => {
    for (const password of ['hunter2', 'p@ss:w/rd?#', 'pässwörd', 'a b', '%41%42', 'x'.repeat(500)]) {
      const masked = maskUrl(`postgres://u:${encodeURIComponent(password)}@host:5432/db`);
      assert.ok(!masked.includes(password) && !masked.includes(encodeURIComponent(password)), masked);
      assert.equal(masked, 'postgres://u:***@host:5432/db');
    }
  });

  test('secrets are replaced in plain and URL-encoded form, the rest of the text kept', () => {
    const password = 'p@ss/word';
    const text = `connect postgres://u:${encodeURIComponent(password)}@h/db failed; password ${password} refused`;
    assert.equal(
      redactSecrets(text, [password]),
      'connect postgres://u:[redacted]@h/db failed; password [redacted] refused',
    );
    assert.equal(redactSecrets('key abc and abcdef', ['abc', 'abcdef']), 'key [redacted] and [redacted]');
    assert.equal(redactSecrets('nothing to hide', ['']), 'nothing to hide');
  });
});
