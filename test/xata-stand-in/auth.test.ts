import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { startXataStandIn } from '../../dev/xata-stand-in/index.js';
import { testDatabaseUrl } from '../helpers/postgres.js';

test('platform stand-in: only the exact API key passes, not one of the same length nor a prefix of it', async (t) => {
  const apiKey = `xau_${randomBytes(16).toString('hex')}`;
  const organizationId = `org-${randomBytes(4).toString('hex')}`;
  const standIn = await startXataStandIn({
    adminUrl: await testDatabaseUrl(),
    apiKey,
    organizationId,
    projectId: 'prj',
  });
  t.after(() => standIn.stop());
  const listBranches = (authorization?: string) =>
    fetch(`${standIn.url}/organizations/${organizationId}/projects/prj/branches`, {
      headers: authorization === undefined ? {} : { authorization },
    });
  const lastChar = apiKey.at(-1) === '0' ? '1' : '0';
  const refused = {
    'same length, last character differs': `Bearer ${apiKey.slice(0, -1)}${lastChar}`,
    'a prefix of the key': `Bearer ${apiKey.slice(0, -1)}`,
    'the key with more after it': `Bearer ${apiKey}0`,
    'no Bearer scheme': apiKey,
    'no header': undefined,
  };

  for (const [what, authorization] of Object.entries(refused)) {
    const response = await listBranches(authorization);
    assert.equal(response.status, 401, what);
    assert.deepEqual(await response.json(), { message: 'invalid API key' }, what);
  }
  const accepted = await listBranches(`Bearer ${apiKey}`);
  assert.equal(accepted.status, 200, await accepted.clone().text());
  assert.ok(Array.isArray(((await accepted.json()) as { branches: unknown }).branches));
});
