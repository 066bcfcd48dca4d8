import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const gracePeriodMs = (value?: string) =>
  loadConfig(
    {
      CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_dW5pdC10ZXN0LXNpZ25pbmctc2VjcmV0LTAxMjM0NTY3ODk=',
      ...(value === undefined ? {} : { DELETE_GRACE_PERIOD: value }),
    },
    'webhook',
  ).deletion.gracePeriodMs;

test('DELETE_GRACE_PERIOD: 0 by default (drop at once), else a duration in s, m, h or d', () => {
  assert.equal(gracePeriodMs(), 0);
  assert.equal(gracePeriodMs('0'), 0);
  assert.equal(gracePeriodMs('45s'), 45_000);
  assert.equal(gracePeriodMs('30m'), 1_800_000);
  assert.equal(gracePeriodMs('7d'), 604_800_000);
});

test('DELETE_GRACE_PERIOD: anything else is refused, naming the variable', () => {
  for (const bad of ['soon', '-1h', '1.5d', '10', '0m', '1w']) {
    assert.throws(
      () => gracePeriodMs(bad),
      (error: unknown) =>
        error instanceof ConfigError && error.problems.some((p) => p.startsWith('DELETE_GRACE_PERIOD: must be 0 or')),
      bad,
    );
  }
});
