import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { verifyToken } from '@clerk/backend';
import { startClerkStandIn } from '../../dev/clerk-stand-in/index.js';
import { SECRET_KEY, apiError, clientFor, standInWithClient, uniqueEmail } from './stand-in-helpers.js';

const folder = await mkdtemp(join(tmpdir(), 'clerk-stand-in-sessions-'));
after(() => rm(folder, { recursive: true, force: true }));

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('Clerk stand-in: sessions and session tokens, as the Backend API issues them', () => {
  test('createSession + getToken give an RS256 token that verifyToken accepts via JWKS and networkless', async () => {
    const { standIn, clerk } = await standInWithClient({ authorizedParty: 'http://localhost:3000' });
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    assert.match(session.id, /^sess_/);
    assert.equal(session.userId, user.id);
    assert.equal(session.status, 'active');
    const { jwt } = await clerk.sessions.getToken(session.id);

    const [header, payload] = jwt.split('.').map((p, i) => (i < 2 ? decode(p) : p)) as [
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    assert.equal(header.alg, 'RS256');
    assert.match(String(header.kid), /^ins_/);
    assert.equal(payload.sub, user.id);
    assert.equal(payload.sid, session.id);
    assert.equal(payload.azp, 'http://localhost:3000');
    assert.equal(payload.iss, standIn.url);
    assert.equal(Number(payload.exp) - Number(payload.iat), 60);
    assert.ok(Number(payload.nbf) <= Number(payload.iat));

    const viaJwks = await verifyToken(jwt, { secretKey: SECRET_KEY, apiUrl: standIn.url, skipJwksCache: true });
    assert.equal(viaJwks.sub, user.id);
    const networkless = await verifyToken(jwt, {
      jwtKey: standIn.jwtPublicKey,
      authorizedParties: ['http://localhost:3000'],
    });
    assert.equal(networkless.sid, session.id);
    await assert.rejects(verifyToken(jwt, { jwtKey: standIn.jwtPublicKey, authorizedParties: ['https://evil.test'] }));

    const jwks = await clerk.jwks.getJwks();
    assert.deepEqual(
      jwks.keys?.map((k) => [k.kid, k.alg, k.kty]),
      [[header.kid, 'RS256', 'RSA']],
    );
  });

  test('a token signed with another key, or expired, is refused; unknown users and sessions are 404', async () => {
    const { standIn, clerk } = await standInWithClient();
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    const { jwt } = await clerk.sessions.getToken(session.id);
    const [header, payload] = jwt.split('.') as [string, string, string];
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = `${header}.${payload}.${sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url')}`;
    await assert.rejects(verifyToken(forged, { jwtKey: standIn.jwtPublicKey }));
    await assert.rejects(verifyToken(forged, { secretKey: SECRET_KEY, apiUrl: standIn.url }));

    const short = await clerk.sessions.getToken(session.id, undefined, 1);
    assert.equal(decode(short.jwt.split('.')[1]!).exp, Number(decode(short.jwt.split('.')[1]!).iat) + 1);
    // verifyToken allows 5 s of clock skew: wait past it.
    await new Promise((r) => setTimeout(r, 6_500));
    await assert.rejects(verifyToken(short.jwt, { jwtKey: standIn.jwtPublicKey }), /expired/i);

    assert.equal((await apiError(() => clerk.sessions.createSession({ userId: 'user_nobody' }))).status, 404);
    assert.equal((await apiError(() => clerk.sessions.getToken('sess_nope'))).status, 404);
    await clerk.users.deleteUser(user.id);
    assert.equal((await apiError(() => clerk.sessions.getToken(session.id))).status, 404, 'sessions end with the user');
    assert.equal((await apiError(() => clientFor(standIn.url, 'sk_test_wrong').jwks.getJwks())).status, 401);
  });

  test('the key pair is kept in the state file: a token from before a restart verifies after it', async () => {
    const stateFile = join(folder, 'state.json');
    const first = await startClerkStandIn({ secretKey: SECRET_KEY, stateFile });
    const clerk = clientFor(first.url);
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail()] });
    const { jwt } = await clerk.sessions.getToken((await clerk.sessions.createSession({ userId: user.id })).id);
    const key = first.jwtPublicKey;
    await first.stop();

    const second = await startClerkStandIn({ secretKey: SECRET_KEY, stateFile });
    after(() => second.stop());
    assert.equal(second.jwtPublicKey, key);
    const claims = await verifyToken(jwt, { secretKey: SECRET_KEY, apiUrl: second.url, skipJwksCache: true });
    assert.equal(claims.sub, user.id);

    const other = await startClerkStandIn({ secretKey: SECRET_KEY });
    after(() => other.stop());
    assert.notEqual(other.jwtPublicKey, key, 'each stand-in without a state file has a key of its own');
  });
});
