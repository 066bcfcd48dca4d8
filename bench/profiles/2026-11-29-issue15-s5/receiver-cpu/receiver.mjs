// The receiver (a built dist/, DIST=<path>, default the repo's) in this process, for client.mjs: reports its CPU
// time between the client's 'mark' and 'done'. Its Temporal address points nowhere: the client posts event types
// the receiver ignores, so no request reaches Temporal (HTTP, Express, Svix, zod, the log line, the metrics).
import { setFlagsFromString } from 'node:v8';
import { answerClient } from './harness.mjs';

if (process.env.V8_FLAGS) setFlagsFromString(process.env.V8_FLAGS);
const dist = process.env.DIST ?? new URL('../../../../dist', import.meta.url).pathname;
const { startWebhookServer } = await import(`${dist}/webhook/server.js`);
const { loadConfig } = await import(`${dist}/config/index.js`);
const config = loadConfig(
  {
    CLERK_WEBHOOK_SIGNING_SECRET: process.env.SECRET,
    PORT: '0',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    LOG_LEVEL: 'info',
  },
  'webhook',
);
const server = await startWebhookServer(config);
answerClient(`${server.url}/webhooks/clerk`, () => server.close());
