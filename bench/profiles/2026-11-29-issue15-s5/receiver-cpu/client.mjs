// CPU time per request of a server process (receiver.mjs, express.mjs, bare.mjs or bare-raw.mjs beside this file,
// speaking harness.mjs's protocol):
//   node client.mjs receiver|express|bare|bare-raw   (N=4000 requests after 500 of warm-up, 10 connections)
// Each request is a Svix-signed Clerk event of a type the receiver ignores. The server runs with the image's
// NODE_ENV and NODE_OPTIONS; its stdout (the receiver's log lines) is read through a pipe, as in the bench.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';

const { Webhook } = createRequire(import.meta.url)('svix');
const N = Number(process.env.N ?? 4000);
const WARM_UP = 500;
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const server = fork(new URL(`${process.argv[2] ?? 'receiver'}.mjs`, import.meta.url), {
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  env: { ...process.env, SECRET: secret, NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=2' },
});
server.stdout.resume();
const { url } = await new Promise((resolve) => server.once('message', resolve));
const signer = new Webhook(secret);
const user = { id: 'user_2abcdefghijklmnopqrstuvwxyz', object: 'user', public_metadata: {}, unsafe_metadata: {} };
const prepared = Array.from({ length: N + WARM_UP }, (_, i) => {
  const body = JSON.stringify({ object: 'event', type: 'session.created', timestamp: Date.now(), data: user });
  const id = `msg_${i}`;
  const now = new Date();
  const headers = {
    'content-type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(Math.floor(now / 1000)),
  };
  return { body, headers: { ...headers, 'svix-signature': signer.sign(id, now, body) } };
});
const agent = new Agent({ keepAlive: true, maxSockets: 10 });
const post = ({ body, headers }) =>
  new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', reject);
    req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode)));
    req.end(body);
  });
const send = async (from, count) => {
  let next = from;
  const codes = {};
  const lane = async () => {
    while (next < from + count) {
      const code = await post(prepared[next++]);
      codes[code] = (codes[code] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 10 }, lane));
  return codes;
};
await send(0, WARM_UP);
server.send('mark');
const codes = await send(WARM_UP, N);
server.send('done');
const { cpuUs, rss } = await new Promise((resolve) => server.once('message', resolve));
console.log(
  `${process.argv[2] ?? 'receiver'}: ${(cpuUs / N).toFixed(0)} µs CPU/request, answers ${JSON.stringify(codes)}, rss ${(rss / 2 ** 20).toFixed(0)} MiB`,
);
agent.destroy();
