/**
 * The status and notes APIs as a browser uses them, on the real pipeline (Clerk stand-in → receiver → Temporal →
 * worker → PostgreSQL) with DEMO_ACCOUNTS=true: real session tokens from the stand-in, verified by the receiver.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { tenantDatabaseName } from '../../src/providers/tenant-names.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import { databaseCount, waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

let p: Pipeline;
// One pipeline for every suite, stopped in this outer suite's `after`: before the shared Temporal connection closes.
describe('session APIs on the real pipeline', () => {
  before(async () => {
    p = await startPipeline({ env: { DEMO_ACCOUNTS: 'true' } });
  });
  after(() => p.stop());

  async function call(path: string, init: RequestInit = {}) {
    const res = await fetch(`${p.receiver.url}${path}`, init);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  }

  async function readyUser(label: string): Promise<string> {
    const user = await p.clerk.users.createUser({ emailAddress: [`${label}-${Date.now()}@example.com`] });
    await waitForReadyMetadata(p, user.id);
    return user.id;
  }

  /** The token with its signature replaced by one from a key the stand-in never had (same header, same claims). */
  function forged(jwt: string): string {
    const [header, payload] = jwt.split('.') as [string, string];
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
    return `${header}.${payload}.${signature}`;
  }

  describe('status API: only the signed-in user, with a Clerk session token', () => {
    test('none / forged / expired → 401, another user → 403, own → 200 without internal error text', async () => {
      const ada = await readyUser('ada');
      const grace = await readyUser('grace');
      const path = `/api/users/${ada}/database`;
      const own = await p.authHeaders(ada);

      const none = await call(path);
      assert.equal(none.status, 401);
      assert.equal(none.body.error?.code, 'unauthenticated');
      const bad = await call(path, { headers: { authorization: `Bearer ${forged(own.authorization!.slice(7))}` } });
      assert.deepEqual([bad.status, bad.body.error?.code], [401, 'unauthenticated']);
      const garbage = await call(path, { headers: { authorization: 'Bearer not.a.jwt' } });
      assert.equal(garbage.status, 401);

      const other = await call(path, { headers: await p.authHeaders(grace) });
      assert.deepEqual([other.status, other.body.error?.code], [403, 'forbidden']);

      const ok = await call(path, { headers: own });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.status, 'ready');
      assert.equal(ok.body.userId, ada);
      const steps = ok.body.steps as Array<Record<string, unknown>>;
      assert.deepEqual(
        steps.map((s) => s.state),
        ['done', 'done', 'done'],
      );
      for (const step of steps) assert.ok(!('error' in step), 'no internal error text for users');

      // Clerk's __session cookie works as the Bearer header does.
      const cookie = await call(path, { headers: { cookie: `theme=dark; __session=${own.authorization!.slice(7)}` } });
      assert.equal(cookie.status, 200);

      const short = await p.authHeaders(ada, 1);
      assert.equal((await call(path, { headers: short })).status, 200);
      // verifyToken allows 5 s of clock skew: wait past it.
      await new Promise((r) => setTimeout(r, 6_500));
      const expired = await call(path, { headers: short });
      assert.deepEqual([expired.status, expired.body.error?.code], [401, 'unauthenticated']);
      assert.match(expired.body.error?.message ?? '', /invalid or expired/);
    });

    test('each client has its own token bucket: past it 429 with Retry-After, others unaffected', async () => {
      const config = loadConfig({ ...p.rawEnv, STATUS_API_RATE_LIMIT: '3' }, 'webhook');
      const receiver = await startWebhookServer(config, { temporal: p.temporal.client, host: '127.0.0.1' });
      after(() => receiver.close());
      const [ada, grace] = await Promise.all([readyUser('ada-rate'), readyUser('grace-rate')]);
      const get = async (userId: string, headers: Record<string, string>) => {
        const res = await fetch(`${receiver.url}/api/users/${userId}/database`, { headers });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Json };
      };
      const headers = await p.authHeaders(ada);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await get(ada, headers));
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200, 200, 429],
      );
      assert.equal(answers[3]!.body.error?.code, 'rate_limited');
      assert.ok(Number(answers[3]!.retryAfter) >= 1, `Retry-After: ${answers[3]!.retryAfter}`);
      assert.equal((await get(grace, await p.authHeaders(grace))).status, 200, 'another user has a bucket of its own');
    });
  });

  /** A GET with the Host header of our choosing (fetch does not let a caller set Host). */
  function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
    const url = new URL(path, p.receiver.url);
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { host } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  describe('the demo page in local mode', () => {
    test('is served with a CSP without inline code, nosniff, no framing and no referrer', async () => {
      const res = await fetch(`${p.receiver.url}/`);
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      const html = await res.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
    });

    test('answers only its own host names: a rebinding name gets 421 JSON', async () => {
      for (const host of ['evil.example:3000', 'attacker.test']) {
        for (const path of ['/', '/api/demo/users', '/api/demo/config']) {
          const answer = await getWithHost(path, host);
          assert.equal(answer.status, 421, `${host}${path}`);
          assert.equal((JSON.parse(answer.body) as Json).error?.code, 'misdirected_request');
        }
      }
      assert.equal((await getWithHost('/api/demo/config', 'localhost:3000')).status, 200);
      assert.equal((await getWithHost('/api/demo/config', '127.0.0.1')).status, 200);
      assert.equal((await getWithHost('/healthz', 'evil.example')).status, 200, 'health checks answer any host');
    });

    test('signs in through the stand-in: a session and a token the status API accepts', async () => {
      const ada = await readyUser('ada-demo');
      const signIn = await call('/api/demo/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: ada }),
      });
      assert.equal(signIn.status, 201, JSON.stringify(signIn.body));
      assert.equal(signIn.body.userId, ada);
      const status = await call(`/api/users/${ada}/database`, {
        headers: { authorization: `Bearer ${String(signIn.body.token)}` },
      });
      assert.equal(status.status, 200);
      const fresh = await call(`/api/demo/sessions/${String(signIn.body.sessionId)}/tokens`, { method: 'POST' });
      assert.equal(fresh.status, 200);
      assert.equal(
        (await call(`/api/users/${ada}/database`, { headers: { authorization: `Bearer ${String(fresh.body.token)}` } }))
          .status,
        200,
      );
      const badSession = await call('/api/demo/sessions/not-a-session/tokens', { method: 'POST' });
      assert.equal(badSession.status, 400);
      const unknown = await call('/api/demo/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'user_doesNotExist0000000000' }),
      });
      assert.equal(unknown.status, 404);
    });
  });

  describe("notes API: in the signed-in user's own database", () => {
    test('each user sees only their own notes; another user’s path → 403; deleting the account removes them', async () => {
      const [ada, grace] = await Promise.all([readyUser('ada-notes'), readyUser('grace-notes')]);
      const asAda = await p.authHeaders(ada, 600);
      const asGrace = await p.authHeaders(grace, 600);
      const add = (userId: string, headers: Record<string, string>, title: string) =>
        call(`/api/users/${userId}/notes`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ title }),
        });

      const first = await add(ada, asAda, 'Analytical engine');
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.deepEqual(first.body.database, { provider: 'postgres', name: tenantDatabaseName(ada), region: 'local' });
      await add(ada, asAda, 'Bernoulli numbers');
      assert.equal((await add(grace, asGrace, 'COBOL')).status, 201);

      const adaList = await call(`/api/users/${ada}/notes`, { headers: asAda });
      assert.deepEqual(
        (adaList.body.notes as Array<{ title: string }>).map((n) => n.title),
        ['Bernoulli numbers', 'Analytical engine'],
      );
      const graceList = await call(`/api/users/${grace}/notes`, { headers: asGrace });
      assert.deepEqual(
        (graceList.body.notes as Array<{ title: string }>).map((n) => n.title),
        ['COBOL'],
      );
      assert.equal((graceList.body.database as { name: string }).name, tenantDatabaseName(grace));

      // Ada's token on Grace's notes: refused, whatever the method.
      const graceNote = (graceList.body.notes as Array<{ id: string }>)[0]!.id;
      assert.equal((await call(`/api/users/${grace}/notes`, { headers: asAda })).status, 403);
      assert.equal((await add(grace, asAda, 'intrusion')).status, 403);
      const cross = await call(`/api/users/${grace}/notes/${graceNote}`, { method: 'DELETE', headers: asAda });
      assert.deepEqual([cross.status, cross.body.error?.code], [403, 'forbidden']);
      assert.equal((await call(`/api/users/${ada}/notes`)).status, 401);
      assert.equal((await add(ada, asAda, '')).status, 400);

      const adaNotes = adaList.body.notes as Array<{ id: string }>;
      const removed = await call(`/api/users/${ada}/notes/${adaNotes[0]!.id}`, { method: 'DELETE', headers: asAda });
      assert.deepEqual(removed.body, { id: adaNotes[0]!.id, deleted: true });
      const gone = await call(`/api/users/${ada}/notes/${adaNotes[0]!.id}`, { method: 'DELETE', headers: asAda });
      assert.equal(gone.status, 404);
      assert.equal((await call(`/api/users/${grace}/notes`, { headers: asGrace })).body.notes instanceof Array, true);

      const deleted = await call(`/api/demo/users/${ada}`, { method: 'DELETE' });
      assert.equal(deleted.status, 200);
      const after = await call(`/api/users/${ada}/notes`, { headers: asAda });
      assert.deepEqual([after.status, after.body.error?.code], [409, 'database_not_ready']);
      await eventually(
        async () => (await databaseCount(p.adminUrl, tenantDatabaseName(ada))) === 0,
        "Ada's database dropped with her notes",
      );
      const stillGrace = await call(`/api/users/${grace}/notes`, { headers: asGrace });
      assert.equal((stillGrace.body.notes as unknown[]).length, 1);
    });
  });
});
