import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditClerkWrites, clerkWritesInHistory, type RunClerkWrites } from '../../reliability/clerk-write-audit.js';
import { loadHistory } from '../helpers/history-fixtures.js';

const once: RunClerkWrites = { activities: 1, attempts: 1, retryCauses: [] };
const retried: RunClerkWrites = { activities: 1, attempts: 2, retryCauses: ['activity StartToClose timeout'] };
const at = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("the duplicate storm's Clerk write audit", () => {
  test("reads a run's write activity, its attempts and why it was retried from the recorded history", async () => {
    assert.deepEqual(clerkWritesInHistory(await loadHistory('v5', 'provision-success.json')), once);
    assert.deepEqual(clerkWritesInHistory(await loadHistory('v5', 'provision-clerk-retried.json')), {
      activities: 1,
      attempts: 2,
      retryCauses: ['Clerk answered 429 (too_many_requests) for user user_…'],
    });
  });

  test('an extra write made by a retried attempt is reported apart, not as a duplicate', () => {
    const audit = auditClerkWrites(
      new Map([
        ['a', [once]],
        ['b', [retried]],
      ]),
      { a: at(1), b: at(2) },
    );
    assert.equal(audit.duplicateActivities, 0);
    assert.equal(audit.unexplainedWrites, 0);
    assert.equal(audit.retriedWrites, 1);
    assert.deepEqual(audit.retryCauses, { 'activity StartToClose timeout': 1 });
    assert.deepEqual(audit.acceptedPerUser, { min: 1, max: 2 });
  });

  test('a second write activity, in the same run or a second one, is a duplicate', () => {
    const audit = auditClerkWrites(
      new Map([
        ['a', [{ activities: 2, attempts: 2, retryCauses: [] }]],
        ['b', [once, once]],
      ]),
      { a: at(2), b: at(2) },
    );
    assert.equal(audit.duplicateActivities, 2);
    assert.deepEqual(audit.activitiesPerRun, { min: 1, max: 2 });
  });

  test('writes Clerk applied beyond every attempt are unexplained', () => {
    const audit = auditClerkWrites(new Map([['a', [retried]]]), { a: at(3) });
    assert.equal(audit.retriedWrites, 1);
    assert.equal(audit.unexplainedWrites, 1);
  });
});
