import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SECRET_KEY, apiError, clientFor, standInWithClient, uniqueEmail } from './stand-in-helpers.js';

describe('Clerk stand-in: users through @clerk/backend', async () => {
  const { standIn, clerk } = await standInWithClient();
  const authorized = { Authorization: `Bearer ${SECRET_KEY}` };

  test('creates a user that the SDK parses into its User class, and gets it back', async () => {
    const email = uniqueEmail();
    const created = await clerk.users.createUser({
      emailAddress: [email],
      firstName: 'Ada',
      lastName: 'Lovelace',
      username: `ada_${Date.now()}`,
      externalId: `ext-${email}`,
      password: 'correct horse battery',
      publicMetadata: { plan: 'free' },
    });
    // Clerk's own form: user_ and a 27-character KSUID (/work/shared/clerk-examples).
    assert.match(created.id, /^user_[0-9A-Za-z]{27}$/);
    assert.equal(created.primaryEmailAddress?.emailAddress, email);
    assert.match(created.primaryEmailAddressId ?? '', /^idn_[0-9A-Za-z]{27}$/);
    assert.equal(created.emailAddresses[0]?.verification?.status, 'verified');
    assert.deepEqual(created.emailAddresses[0]?.linkedTo, []);
    assert.equal(created.fullName, 'Ada Lovelace', 'fullName is a getter of the SDK User class');
    assert.equal(created.passwordEnabled, true);
    assert.deepEqual(created.publicMetadata, { plan: 'free' });
    assert.deepEqual(created.privateMetadata, {});
    assert.equal(typeof created.createdAt, 'number');

    const fetched = await clerk.users.getUser(created.id);
    assert.deepEqual(fetched, created);
    assert.ok(!JSON.stringify(fetched.raw).includes('correct horse'), 'the password is never echoed');
  });

  test('answers with Content-Type exactly application/json, on success and on error', async () => {
    const { id } = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const ok = await fetch(`${standIn.url}/v1/users/${id}`, { headers: authorized });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'application/json');
    const missing = await fetch(`${standIn.url}/v1/users/user_none`, { headers: authorized });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/json');
    const body = (await missing.json()) as { errors: Array<{ code: string }>; clerk_trace_id: string };
    assert.equal(body.errors[0]?.code, 'resource_not_found');
    assert.match(body.clerk_trace_id, /^[0-9a-f]{32}$/);
  });

  test('lists users with limit, offset, orderBy and totalCount', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await clerk.users.createUser({ emailAddress: [uniqueEmail()] })).id);
    const newestFirst = [...ids].reverse();

    const everything = await clerk.users.getUserList({ userId: ids });
    assert.deepEqual(
      everything.data.map((u) => u.id),
      newestFirst,
      'default order is -created_at',
    );
    assert.equal(everything.totalCount, 5);

    const pages: string[] = [];
    for (const offset of [0, 2, 4]) {
      const page = await clerk.users.getUserList({ userId: ids, limit: 2, offset, orderBy: '+created_at' });
      assert.equal(page.totalCount, 5, 'totalCount counts every match, not the page');
      assert.ok(page.data.length <= 2);
      pages.push(...page.data.map((u) => u.id));
    }
    assert.deepEqual(pages, ids);

    const beyond = await clerk.users.getUserList({ userId: ids, offset: 10 });
    assert.deepEqual(beyond.data, []);

    const all = await clerk.users.getUserList({ limit: 500 });
    assert.ok(all.totalCount >= 5);
    const defaultPage = await clerk.users.getUserList();
    assert.equal(defaultPage.data.length, Math.min(10, defaultPage.totalCount), 'default limit is 10');

    const tooMany = await apiError(() => clerk.users.getUserList({ limit: 501 }));
    assert.equal(tooMany.status, 422);
    assert.equal(tooMany.errors[0]?.meta?.paramName, 'limit');
    const badOrder = await apiError(() => clerk.users.getUserList({ orderBy: 'username' }));
    assert.equal(badOrder.errors[0]?.meta?.paramName, 'order_by');
  });

  test('PATCH metadata deep-merges and removes keys set to null, at any depth', async () => {
    const user = await clerk.users.createUser({
      emailAddress: [uniqueEmail()],
      publicMetadata: { database: { status: 'provisioning', provider: 'postgres', tags: ['a', 'b'] }, keep: 1 },
      privateMetadata: { secretThing: 'stays' },
    });
    const updated = await clerk.users.updateUserMetadata(user.id, {
      publicMetadata: { database: { status: 'ready', provider: null, tags: ['c'], schemaVersion: 3 }, gone: null },
    });
    assert.deepEqual(updated.publicMetadata, {
      database: { status: 'ready', tags: ['c'], schemaVersion: 3 },
      keep: 1,
    });
    assert.deepEqual(updated.privateMetadata, { secretThing: 'stays' }, 'fields not sent are untouched');
    assert.deepEqual((await clerk.users.getUser(user.id)).publicMetadata, updated.publicMetadata);

    const removed = await clerk.users.updateUserMetadata(user.id, { publicMetadata: { database: null } });
    assert.deepEqual(removed.publicMetadata, { keep: 1 });
  });

  test('PUT metadata replaces each field sent and keeps the others', async () => {
    const user = await clerk.users.createUser({
      emailAddress: [uniqueEmail()],
      publicMetadata: { a: { b: 1 }, c: 2 },
      unsafeMetadata: { theme: 'dark' },
    });
    const replaced = await clerk.users.replaceUserMetadata(user.id, { publicMetadata: { a: { z: 9 } } });
    assert.deepEqual(replaced.publicMetadata, { a: { z: 9 } });
    assert.deepEqual(replaced.unsafeMetadata, { theme: 'dark' });
    const cleared = await clerk.users.replaceUserMetadata(user.id, { unsafeMetadata: {} });
    assert.deepEqual(cleared.unsafeMetadata, {});
    assert.deepEqual(cleared.publicMetadata, { a: { z: 9 } });
  });

  test('deletes a user: DeletedObject answer, then 404 and a smaller count', async () => {
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const before = await clerk.users.getCount();
    // The SDK types deleteUser as User, but at runtime it returns its DeletedObject.
    const deleted = (await clerk.users.deleteUser(user.id)) as unknown as {
      id: string;
      object: string;
      deleted: boolean;
    };
    assert.equal(deleted.id, user.id);
    assert.equal(deleted.object, 'user');
    assert.equal(deleted.deleted, true);
    assert.equal(await clerk.users.getCount(), before - 1);
    const gone = await apiError(() => clerk.users.getUser(user.id));
    assert.equal(gone.status, 404);
    assert.equal(gone.errors[0]?.code, 'resource_not_found');
    assert.equal((await apiError(() => clerk.users.deleteUser(user.id))).status, 404);
  });

  test('refuses a wrong or missing secret key with 401', async () => {
    const wrong = await apiError(() => clientFor(standIn.url, 'sk_test_wrong').users.getUserList());
    assert.equal(wrong.status, 401);
    assert.equal(wrong.errors[0]?.code, 'authentication_invalid');
    const anonymous = await fetch(`${standIn.url}/v1/users`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/json');
  });

  test('answers 404 for an unknown user or route', async () => {
    const unknown = await apiError(() => clerk.users.getUser('user_2g7np7Hrk0SN6kj5EDMLDaKNL0S'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.errors[0]?.code, 'resource_not_found');
    const metadata = await apiError(() =>
      clerk.users.updateUserMetadata('user_2g7np7Hrk0SN6kj5EDMLDaKNL0S', { publicMetadata: { a: 1 } }),
    );
    assert.equal(metadata.status, 404);
    const route = await fetch(`${standIn.url}/v1/organizations`, { headers: authorized });
    assert.equal(route.status, 404);
  });

  test('answers 422 in Clerk shape for a bad body, naming the parameter', async () => {
    const badEmail = await apiError(() => clerk.users.createUser({ emailAddress: ['not-an-email'] }));
    assert.equal(badEmail.status, 422);
    assert.equal(badEmail.errors[0]?.code, 'form_param_format_invalid');
    assert.equal(badEmail.errors[0]?.meta?.paramName, 'email_address');
    assert.match(badEmail.errors[0]?.longMessage ?? '', /email/);
    assert.match(badEmail.clerkTraceId ?? '', /^[0-9a-f]{32}$/);

    const unknownParam = await apiError(() =>
      clerk.users.createUser({ emailAddress: [uniqueEmail()], favouriteColour: 'blue' } as never),
    );
    assert.equal(unknownParam.errors[0]?.code, 'form_param_unknown');
    assert.equal(unknownParam.errors[0]?.meta?.paramName, 'favourite_colour');

    const email = uniqueEmail();
    const user = await clerk.users.createUser({ emailAddress: [email] });
    const taken = await apiError(() => clerk.users.createUser({ emailAddress: [email.toUpperCase()] }));
    assert.equal(taken.errors[0]?.code, 'form_identifier_exists');

    const notObject = await apiError(() => clerk.users.updateUserMetadata(user.id, { publicMetadata: ['x'] as never }));
    assert.equal(notObject.status, 422);
    assert.equal(notObject.errors[0]?.meta?.paramName, 'public_metadata');

    const tooBig = await apiError(() =>
      clerk.users.updateUserMetadata(user.id, { privateMetadata: { blob: 'x'.repeat(9000) } }),
    );
    assert.equal(tooBig.status, 422);
    assert.deepEqual((await clerk.users.getUser(user.id)).privateMetadata, {}, 'a refused write changes nothing');

    const malformed = await fetch(`${standIn.url}/v1/users`, {
      method: 'POST',
      headers: { ...authorized, 'Content-Type': 'application/json' },
      body: '{"email_address": [',
    });
    assert.equal(malformed.status, 400);
  });
});
