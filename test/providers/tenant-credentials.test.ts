import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { scramSha256Verifier, tenantPassword, tenantPasswordVerifier } from '../../src/providers/tenant-credentials.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

test('the verifier passes the RFC 7677 SCRAM-SHA-256 example exchange', async () => {
  // RFC 7677 section 3: user "user", password "pencil".
  const clientFirstBare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const clientFinalWithoutProof = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const clientProof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
  const serverSignature = '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

  const verifier = await scramSha256Verifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
  const match = /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$([^:]+):(.+)$/.exec(verifier);
  assert.ok(match?.[1] && match[2], verifier);
  const storedKey = Buffer.from(match[1], 'base64');
  const serverKey = Buffer.from(match[2], 'base64');
  const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;

  // What the server does with the verifier: recover ClientKey from the proof and check it hashes to StoredKey…
  const clientSignature = createHmac('sha256', storedKey).update(authMessage).digest();
  const clientKey = Buffer.from(clientProof.map((byte, i) => byte ^ (clientSignature[i] ?? 0)));
  assert.deepEqual(createHash('sha256').update(clientKey).digest(), storedKey);
  // …and prove itself to the client with ServerKey.
  assert.equal(createHmac('sha256', serverKey).update(authMessage).digest('base64'), serverSignature);
});

test('tenant passwords and verifiers are deterministic, and differ per user and per secret', async () => {
  assert.equal(tenantPassword(SECRET, 'user_abc'), tenantPassword(SECRET, 'user_abc'));
  assert.match(tenantPassword(SECRET, 'user_abc'), /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(tenantPassword(SECRET, 'user_abc'), tenantPassword(SECRET, 'user_abC'));
  assert.notEqual(tenantPassword(SECRET, 'user_abc'), tenantPassword(`${SECRET}x`, 'user_abc'));

  const verifier = await tenantPasswordVerifier(SECRET, 'user_abc');
  assert.equal(await tenantPasswordVerifier(SECRET, 'user_abc'), verifier);
  assert.notEqual(await tenantPasswordVerifier(SECRET, 'user_abC'), verifier);
  assert.ok(!verifier.includes(tenantPassword(SECRET, 'user_abc')));
});
