import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../src/activities/failures.js';
import { clerkUserExists, ClerkTimeoutError, createClerkApi } from '../../src/clerk/client.js';
import { apiError, SECRET_KEY, standInWithClient, uniqueEmail } from './stand-in-helpers.js';

describe('Clerk stand-in: injected faults and the per-user metadata limit', () => {
  test('a 429 share answers 429 with Retry-After, which the SDK surfaces as retryAfter', async () => {
    const { standIn, clerk } = await standInWithClient();
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    standIn.setFaults({ tooManyRequestsShare: 1, tooManyRequestsRetryAfterSeconds: 7 });
    const limited = await apiError(() => clerk.users.getUser(user.id));
    assert.equal(limited.status, 429);
    assert.equal(limited.retryAfter, 7);
    assert.equal(limited.errors[0]?.code, 'too_many_requests');
    assert.equal(standIn.faultStats().injectedTooManyRequests, 1);

    standIn.setFaults({ tooManyRequestsShare: 0 });
    assert.equal((await clerk.users.getUser(user.id)).id, user.id);
  });

  test('a 500 share answers 500 and changes nothing', async () => {
    const { standIn, clerk } = await standInWithClient({ faults: { serverErrorShare: 0 } });
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()], publicMetadata: { n: 1 } });
    standIn.setFaults({ serverErrorShare: 1 });
    const failed = await apiError(() => clerk.users.updateUserMetadata(user.id, { publicMetadata: { n: 2 } }));
    assert.equal(failed.status, 500);
    assert.equal(failed.errors[0]?.code, 'internal_clerk_error');
    assert.equal(failed.retryAfter, undefined);
    standIn.setFaults({ serverErrorShare: 0 });
    assert.deepEqual((await clerk.users.getUser(user.id)).publicMetadata, { n: 1 });
    assert.equal(standIn.faultStats().injectedServerErrors, 1);
  });

  test('a partial share fails some requests and lets others through', async () => {
    const { standIn, clerk } = await standInWithClient({ faults: { serverErrorShare: 0.5 } });
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, () =>
        clerk.users.getCount().then(
          () => 'ok',
          () => 'failed',
        ),
      ),
    );
    const failures = outcomes.filter((o) => o === 'failed').length;
    assert.ok(failures > 0 && failures < 60, `with share 0.5, 60 requests all went one way (${failures} failed)`);
    assert.equal(standIn.faultStats().injectedServerErrors, failures);
    assert.equal(standIn.faultStats().requests, 60);
  });

  test('Clerk per-user metadata limit: the 11th write within the window gets 429 with Retry-After', async () => {
    const { standIn, clerk } = await standInWithClient({
      faults: { userMetadataLimit: { writes: 10, windowMs: 60_000 } },
    });
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const other = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    for (let i = 0; i < 5; i += 1) await clerk.users.updateUserMetadata(user.id, { publicMetadata: { i } });
    for (let i = 0; i < 5; i += 1) await clerk.users.replaceUserMetadata(user.id, { publicMetadata: { i } });
    assert.equal(standIn.faultStats().userMetadataLimitRefusals, 0);

    const refused = await apiError(() => clerk.users.updateUserMetadata(user.id, { publicMetadata: { i: 99 } }));
    assert.equal(refused.status, 429);
    assert.ok(
      refused.retryAfter !== undefined && refused.retryAfter >= 1 && refused.retryAfter <= 60,
      `Retry-After tells when the window frees (got ${refused.retryAfter})`,
    );
    assert.deepEqual(
      (await clerk.users.getUser(user.id)).publicMetadata,
      { i: 4 },
      'the refused write was not applied',
    );
    await clerk.users.updateUserMetadata(other.id, { publicMetadata: { ok: true } });

    const stats = standIn.faultStats();
    assert.equal(stats.userMetadataLimitRefusals, 1);
    assert.equal(stats.metadataWritesByUser[user.id]?.length, 10);
    assert.equal(stats.metadataWritesByUser[other.id]?.length, 1);
  });

  test('the per-user window frees up, and the limit can be turned off', async () => {
    const { standIn, clerk } = await standInWithClient({ faults: { userMetadataLimit: { writes: 2, windowMs: 200 } } });
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    await clerk.users.updateUserMetadata(user.id, { publicMetadata: { n: 1 } });
    await clerk.users.updateUserMetadata(user.id, { publicMetadata: { n: 2 } });
    const refused = await apiError(() => clerk.users.updateUserMetadata(user.id, { publicMetadata: { n: 3 } }));
    assert.equal(refused.retryAfter, 1, 'Retry-After is whole seconds, at least 1');
    await new Promise((resolve) => setTimeout(resolve, 250));
    await clerk.users.updateUserMetadata(user.id, { publicMetadata: { n: 3 } });

    standIn.setFaults({ userMetadataLimit: false });
    for (let n = 4; n < 16; n += 1) await clerk.users.updateUserMetadata(user.id, { publicMetadata: { n } });
    assert.equal(standIn.faultStats().userMetadataLimitRefusals, 1);
    assert.deepEqual((await clerk.users.getUser(user.id)).publicMetadata, { n: 15 });
  });

  test('a metadata write cut off before its body arrived changed nothing and is not counted', async () => {
    const { standIn, clerk } = await standInWithClient();
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const before = standIn.faultStats().requests;
    // What a blackholed connection leaves the stand-in: the headers of a PATCH, half its body, then a cut.
    const socket = connect(standIn.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      [
        `PATCH /v1/users/${user.id}/metadata HTTP/1.1`,
        'Host: 127.0.0.1',
        `Authorization: Bearer ${SECRET_KEY}`,
        'Content-Type: application/json',
        'Content-Length: 64',
        '',
        '{"public_metadata":',
      ].join('\r\n'),
    );
    while (standIn.faultStats().requests === before) await sleep(10);
    socket.destroy();
    assert.equal(standIn.faultStats().metadataWritesByUser[user.id], undefined);
    assert.deepEqual((await clerk.users.getUser(user.id)).publicMetadata, {});
  });

  test('a hanging Clerk holds requests until lifted; our adapter gives up at its deadline, retryably', async () => {
    const { standIn, clerk } = await standInWithClient();
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const ours = createClerkApi({ secretKey: SECRET_KEY, apiUrl: standIn.url, deadlineMs: 200 });
    standIn.setFaults({ hang: true });
    const held = clerk.users.getUser(user.id);
    const timedOut = await clerkUserExists(ours, user.id).then(
      () => assert.fail('expected the call to a hanging Clerk to fail'),
      (error: unknown) => error,
    );
    assert.ok(timedOut instanceof ClerkTimeoutError, String(timedOut));
    assert.match(timedOut.message, /did not answer users\.getUser within 200 ms/);
    const failure = toActivityFailure(timedOut);
    assert.ok(!(failure instanceof ApplicationFailure && failure.nonRetryable), 'a timeout is retried');
    assert.equal(standIn.faultStats().heldRequests, 2);

    standIn.setFaults({ hang: false });
    assert.equal((await held).id, user.id, 'a held request is answered once the hang is lifted');
    assert.equal(await clerkUserExists(ours, user.id), true);
  });

  test('fault settings are validated', async () => {
    const { standIn } = await standInWithClient();
    assert.throws(() => standIn.setFaults({ serverErrorShare: 2 }), /serverErrorShare/);
    assert.throws(() => standIn.setFaults({ userMetadataLimit: { writes: 0, windowMs: 10 } }));
  });
});
