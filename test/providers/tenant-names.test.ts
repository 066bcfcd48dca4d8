import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tenantDatabaseName, userIdFromTenantDatabaseName } from '../../src/providers/tenant-names.js';
import { isPermanent } from './contract.js';

test('a user id maps to tenant_<id>, case kept, and back', () => {
  assert.equal(tenantDatabaseName('user_2abcXYZ'), 'tenant_user_2abcXYZ');
  assert.notEqual(tenantDatabaseName('user_abc'), tenantDatabaseName('user_ABC'));
  assert.equal(userIdFromTenantDatabaseName('tenant_user_2abcXYZ'), 'user_2abcXYZ');
});

test('the name may be 63 bytes, never more', () => {
  const longest = `user_${'a'.repeat(63 - 'tenant_user_'.length)}`;
  assert.equal(tenantDatabaseName(longest).length, 63);
  assert.throws(() => tenantDatabaseName(`${longest}a`), isPermanent('InvalidName'));
  assert.throws(() => tenantDatabaseName(`${longest}a`), /must be a Clerk user id/);
});

test('anything but user_ + base62 is refused', () => {
  for (const bad of ['', 'user_', 'user', 'USER_abc', 'user_a b', 'user_a"b', 'user_ä', 'org_abc', 'user_abc\n']) {
    assert.throws(() => tenantDatabaseName(bad), isPermanent('InvalidName'), JSON.stringify(bad));
  }
});

test('names that are not tenants map back to nothing', () => {
  for (const name of ['postgres', 'template1', 'tenant_', 'tenant_org_abc', 'tenant_user_a-b', 'xtenant_user_abc']) {
    assert.equal(userIdFromTenantDatabaseName(name), undefined, name);
  }
});
