import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ClerkStandInOptionsError,
  ClerkStandInStateFileError,
  startClerkStandIn,
} from '../../dev/clerk-stand-in/index.js';
import { UserStateFile } from '../../dev/clerk-stand-in/user-state-file.js';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { freePort } from '../../dev/local/free-port.js';
import { SECRET_KEY, apiError, clientFor, newSigningSecret, uniqueEmail } from './stand-in-helpers.js';

const folder = await mkdtemp(join(tmpdir(), 'clerk-stand-in-state-'));
after(() => rm(folder, { recursive: true, force: true }));

let files = 0;
const newStateFile = () => join(folder, `state-${(files += 1)}.json`);

/** Starts a stand-in on `stateFile` and the real SDK client for it; the caller stops it. */
async function start(stateFile: string) {
  const standIn = await startClerkStandIn({ secretKey: SECRET_KEY, stateFile });
  return { standIn, clerk: clientFor(standIn.url) };
}

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('Clerk stand-in: users kept in a state file', () => {
  test('users and their metadata survive a stop and start, as @clerk/backend sees them', async () => {
    const stateFile = newStateFile();
    const first = await start(stateFile);
    const ids: string[] = [];
    for (const name of ['Ada', 'Grace', 'Edsger']) {
      ids.push((await first.clerk.users.createUser({ emailAddress: [uniqueEmail()], firstName: name })).id);
    }
    await first.clerk.users.updateUserMetadata(ids[0]!, {
      publicMetadata: { database: { status: 'ready', name: 'tenant_ada' } },
      privateMetadata: { admin: true },
    });
    await first.clerk.users.updateUserMetadata(ids[0]!, { publicMetadata: { database: { status: 'migrated' } } });
    const before = await Promise.all(ids.map((id) => first.clerk.users.getUser(id)));
    const listBefore = await first.clerk.users.getUserList({ orderBy: '+created_at' });
    await first.standIn.stop();

    const second = await start(stateFile);
    try {
      const afterRestart = await Promise.all(ids.map((id) => second.clerk.users.getUser(id)));
      assert.deepEqual(afterRestart, before);
      assert.deepEqual(afterRestart[0]?.publicMetadata, { database: { status: 'migrated', name: 'tenant_ada' } });
      assert.deepEqual(afterRestart[0]?.privateMetadata, { admin: true });

      const listAfter = await second.clerk.users.getUserList({ orderBy: '+created_at' });
      assert.equal(listAfter.totalCount, 3);
      assert.deepEqual(listAfter, listBefore, 'same users, same order');

      const duplicate = await apiError(() =>
        second.clerk.users.createUser({ emailAddress: [before[1]!.primaryEmailAddress!.emailAddress] }),
      );
      assert.equal(duplicate.errors[0]?.code, 'form_identifier_exists', 'loaded users still hold their emails');
    } finally {
      await second.standIn.stop();
    }
  });

  test('saves each change before answering, never leaving a temporary file or a lost change behind', async () => {
    const stateFile = newStateFile();
    const { standIn, clerk } = await start(stateFile);
    try {
      const { id } = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
      assert.ok((await readFile(stateFile, 'utf8')).includes(id), 'the file has the user once the API answered');

      // Concurrent changes: if saves interleaved, an older snapshot could be renamed over a newer one.
      const created = await Promise.all(
        Array.from({ length: 24 }, () => clerk.users.createUser({ emailAddress: [uniqueEmail()] })),
      );
      await Promise.all(
        created.map((user, i) => clerk.users.updateUserMetadata(user.id, { publicMetadata: { index: i } })),
      );
      const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { users: Array<{ publicMetadata: unknown }> };
      assert.equal(saved.users.length, 25);
      assert.equal(saved.users.filter((u) => JSON.stringify(u.publicMetadata).includes('index')).length, 24);
      assert.deepEqual(
        (await readdir(folder)).filter((name) => name.endsWith('.tmp')),
        [],
      );
    } finally {
      await standIn.stop();
    }
  });

  test('saves queued back to back land in order: the file ends with the last one', async () => {
    const stateFile = newStateFile();
    const { standIn, clerk } = await start(stateFile);
    await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    await standIn.stop();
    const [user] = (await new UserStateFile(stateFile).load()).users;
    assert.ok(user);

    const writer = new UserStateFile(stateFile);
    const versions = Array.from({ length: 40 }, (_, version) => ({ ...user, publicMetadata: { version } }));
    await Promise.all(versions.map((version) => writer.save([version])));
    assert.deepEqual((await writer.load()).users, [versions.at(-1)]);
  });

  test('a deleted user stays deleted after a restart', async () => {
    const stateFile = newStateFile();
    const first = await start(stateFile);
    const kept = await first.clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const gone = await first.clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    await first.clerk.users.deleteUser(gone.id);
    await first.standIn.stop();

    const second = await start(stateFile);
    try {
      assert.equal((await apiError(() => second.clerk.users.getUser(gone.id))).status, 404);
      const list = await second.clerk.users.getUserList();
      assert.equal(list.totalCount, 1);
      assert.deepEqual(
        list.data.map((u) => u.id),
        [kept.id],
      );
    } finally {
      await second.standIn.stop();
    }
  });

  test('the file is readable by its owner only, even when it was world-readable before', async () => {
    const stateFile = newStateFile();
    await writeFile(stateFile, JSON.stringify({ version: 1, users: [] }));
    await chmod(stateFile, 0o644);
    const { standIn, clerk } = await start(stateFile);
    try {
      await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
      assert.equal(await modeOf(stateFile), 0o600);
    } finally {
      await standIn.stop();
    }
  });

  test('a damaged file fails the start with an error naming it, and is left as it was', async () => {
    const stateFile = newStateFile();
    const original = await start(stateFile);
    await original.clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    await original.standIn.stop();
    const valid = JSON.parse(await readFile(stateFile, 'utf8')) as {
      version: 1;
      users: Array<Record<string, unknown>>;
    };

    const damaged: Array<{ text: string; problem: RegExp }> = [
      { text: (await readFile(stateFile, 'utf8')).slice(0, 40), problem: /is not valid JSON/ },
      {
        text: JSON.stringify({ ...valid, users: [{ ...valid.users[0], emailAddresses: undefined }] }),
        problem: /users\.0\.emailAddresses: /,
      },
      {
        text: JSON.stringify({ ...valid, users: [valid.users[0], valid.users[0]] }),
        problem: /users\.1\.id: appears twice/,
      },
      { text: JSON.stringify({ version: 2, users: [] }), problem: /version: / },
    ];
    for (const { text, problem } of damaged) {
      await writeFile(stateFile, text);
      await assert.rejects(
        () => start(stateFile),
        (error: unknown) => {
          assert.ok(error instanceof ClerkStandInStateFileError);
          assert.equal(error.file, stateFile);
          assert.ok(error.message.includes(stateFile), error.message);
          assert.match(error.message, problem);
          return true;
        },
      );
      assert.equal(await readFile(stateFile, 'utf8'), text, 'the damaged file is not overwritten');
    }
  });

  test('an empty stateFile option is rejected', async () => {
    await assert.rejects(
      () => startClerkStandIn({ secretKey: SECRET_KEY, stateFile: ' ' }),
      (error: unknown) => error instanceof ClerkStandInOptionsError && /options\.stateFile/.test(error.message),
    );
  });

  test('a webhook delivery not yet made when the stand-in stops is made by the next start, with its svix-id', async () => {
    const stateFile = newStateFile();
    const port = await freePort();
    const webhooks = [{ url: `http://127.0.0.1:${port}/webhooks/clerk`, signingSecret: newSigningSecret() }];
    // Nothing listens on the endpoint yet: the first attempt fails and the retry is due in 5 s (scaled to 50 ms).
    const first = await startClerkStandIn({ secretKey: SECRET_KEY, stateFile, webhooks, retryTimeScale: 0.01 });
    const user = await clientFor(first.url).users.createUser({ emailAddress: [uniqueEmail()] });
    const [pending] = first.deliveries({ userId: user.id });
    await first.stop();
    assert.ok(pending);

    const received: Array<{ svixId: unknown; body: string }> = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ svixId: request.headers['svix-id'], body });
        response.end('{}');
      });
    });
    receiver.listen(port, '127.0.0.1');
    await once(receiver, 'listening');
    const second = await startClerkStandIn({ secretKey: SECRET_KEY, stateFile, webhooks, retryTimeScale: 0.01 });
    try {
      const delivered = await second.waitForDelivery({ userId: user.id }, 10_000);
      assert.equal(delivered.state, 'succeeded');
      assert.equal(delivered.messageId, pending.messageId, 'the same message, so the receiver deduplicates it');
      assert.equal(received.length, 1);
      assert.equal(received[0]?.svixId, pending.messageId);
      assert.equal(JSON.parse(received[0]?.body ?? '{}').data.id, user.id);
    } finally {
      await second.stop();
      receiver.close();
    }
    // Settled deliveries leave the file: a third start sends nothing.
    assert.deepEqual((await new UserStateFile(stateFile).load()).deliveries, []);
  });
});
