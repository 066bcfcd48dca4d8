import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { eventTime, parseClerkEvent } from '../../src/clerk/events.js';

const example = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/clerk-events/${name}`, import.meta.url), 'utf8'));

test("Clerk's own example payloads parse", () => {
  for (const name of ['user.created.docs.json', 'user.created.openapi.json', 'user.deleted.openapi.json']) {
    const parsed = parseClerkEvent(example(name));
    assert.ok(parsed.ok, name);
    assert.equal(parsed.event.type, name.startsWith('user.created') ? 'user.created' : 'user.deleted');
  }
  const updated = parseClerkEvent(example('user.updated.openapi.json'));
  assert.deepEqual(updated, { ok: true, event: { type: 'ignored', eventType: 'user.updated' } });
});

test('invalid events name the field that is wrong', () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /\(body\)/],
    [{ object: 'event', type: 'user.created', timestamp: 1, data: {} }, /data\.id/],
    [
      { object: 'event', type: 'user.created', timestamp: 1, data: { id: "user_1'; DROP", object: 'user' } },
      /data\.id/,
    ],
    [{ object: 'event', type: 'user.deleted', timestamp: 1, data: { id: 'user_1', object: 'user' } }, /data\.deleted/],
    [{ object: 'event', timestamp: 1, data: {} }, /type/],
    [{ object: 'nope', type: 'user.created', timestamp: 1, data: {} }, /object/],
  ];
  for (const [body, field] of cases) {
    const parsed = parseClerkEvent(body);
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.problems.join('; '), field);
  }
});

test('eventTime: Clerk timestamps in milliseconds or seconds; none for a number no date can hold', () => {
  assert.equal(eventTime(1_700_000_000_000)?.toISOString(), '2023-11-14T22:13:20.000Z');
  assert.equal(eventTime(1_700_000_000)?.toISOString(), '2023-11-14T22:13:20.000Z');
  assert.equal(eventTime(2.7e62), undefined);
});
