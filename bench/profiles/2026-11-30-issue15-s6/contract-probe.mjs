// The receiver's answers to edge cases of POST /webhooks/clerk and around it, one line each (status, headers but
// Date, body): run it against two builds and diff the output.
//   node contract-probe.mjs <dist> > answers.txt
// Its Temporal address points nowhere: a valid user.created gets the 503 (after the client's deadline, ~5 s).
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { deflateSync, gzipSync } from 'node:zlib';

const { Webhook } = createRequire(import.meta.url)('svix');
const dist = process.argv[2];
const { startWebhookServer } = await import(`${dist}/webhook/server.js`);
const { loadConfig } = await import(`${dist}/config/index.js`);
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const env = {
  CLERK_WEBHOOK_SIGNING_SECRET: secret,
  PORT: '0',
  TEMPORAL_ADDRESS: '127.0.0.1:1',
  LOG_LEVEL: 'fatal',
  WEBHOOK_MAX_BODY_BYTES: '1024',
};
const server = await startWebhookServer(loadConfig(env, 'webhook'));
const { hostname, port, host } = new URL(server.url);
const signer = new Webhook(secret);
/** Svix headers over `signed`, made just before the request is sent. */
const sign = (signed) => {
  const now = new Date();
  const id = `msg_${randomBytes(6).toString('hex')}`;
  return {
    'svix-id': id,
    'svix-timestamp': String(Math.floor(now / 1000)),
    'svix-signature': signer.sign(id, now, signed),
  };
};
const ignored = JSON.stringify({ object: 'event', type: 'session.created', timestamp: 1, data: {} });
const created = JSON.stringify({
  object: 'event',
  type: 'user.created',
  timestamp: 1,
  data: { id: 'user_abc', object: 'user', unsafe_metadata: {}, public_metadata: {}, created_at: 1 },
});
const send = (method, path, headers = {}, body = undefined, signed = undefined) =>
  new Promise((resolve) => {
    const all = { ...headers, ...(signed === undefined ? {} : sign(signed)) };
    const names = Object.keys(all).filter((n) => !n.startsWith('svix-') || signed === undefined);
    const label = `${method} ${path.replace(host, '<host>')} ${JSON.stringify(names)}${signed === undefined ? '' : ' signed'}`;
    const req = request({ hostname, port, method, path, headers: all }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        const { date: _date, 'keep-alive': _keepAlive, ...rest } = res.headers;
        resolve(`${label} → ${res.statusCode} ${JSON.stringify(rest)} ${text.slice(0, 200)}`);
      });
    });
    req.on('error', (error) => resolve(`${label} → error ${error.code}`));
    req.end(body);
  });
const json = { 'content-type': 'application/json' };
const cases = [
  ['GET', '/webhooks/clerk'],
  ['HEAD', '/webhooks/clerk'],
  ['OPTIONS', '/webhooks/clerk'],
  ['PUT', '/webhooks/clerk', { ...json, 'content-length': '2' }, '{}'],
  ...[
    '/webhooks/clerk',
    '/webhooks/clerk/',
    '/WEBHOOKS/Clerk',
    '/webhooks/clerk?x=1',
    '/webhooks/clerk/?x=1',
    '/webhooks/clerk//',
    '//webhooks/clerk',
    '/webhooks/%63lerk',
    '/webhooks/clerk.json',
    `http://${host}/webhooks/clerk`,
  ].map((path) => ['POST', path, json, ignored, ignored]),
  ['POST', '/webhooks/clerk', json, ignored],
  ['POST', '/webhooks/clerk', {}],
  ['POST', '/webhooks/clerk', json, 'x'.repeat(2000), 'x'.repeat(2000)],
  ['POST', '/webhooks/clerk', { ...json, 'content-encoding': 'x-fuzz' }, '{}', '{}'],
  ['POST', '/webhooks/clerk', { ...json, 'content-encoding': 'gzip' }, gzipSync(ignored), ignored],
  ['POST', '/webhooks/clerk', { ...json, 'content-encoding': 'deflate' }, deflateSync(ignored), ignored],
  ['POST', '/webhooks/clerk', { ...json, 'content-encoding': 'gzip' }, 'garbage', 'garbage'],
  ['POST', '/webhooks/clerk', { 'content-type': 'application/json; charset=utf-16' }, ignored, ignored],
  ['POST', '/webhooks/clerk', { 'content-type': 'application/json; charset=bogus' }, ignored, ignored],
  ['POST', '/webhooks/clerk', json, '{"a":', '{"a":'],
  ['POST', '/webhooks/clerk', json, '{}', '{}'],
  ['POST', '/webhooks/clerk', json, created, created],
  ['GET', '/healthz'],
  ['GET', '/nope'],
  ['POST', '/nope', { ...json, 'content-length': '2' }, '{}'],
];
for (const c of cases) console.log(await send(...c));
// A repeated Svix header (Node would join the copies into one value).
const headers = { ...json, ...sign(ignored) };
headers['svix-id'] = [headers['svix-id'], 'msg_other'];
console.log(await send('POST', '/webhooks/clerk', headers, ignored));
await server.close();
process.exit(0);
