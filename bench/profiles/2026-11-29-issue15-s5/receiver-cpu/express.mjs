// Express 5 alone, as the receiver mounted its webhook route (express.raw, res.json); NO_ETAG=1 turns ETags off.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { listenForClient } from './harness.mjs';

const express = createRequire(import.meta.url)('express');
const app = express();
app.disable('x-powered-by');
if (process.env.NO_ETAG) app.set('etag', false);
app.post('/webhooks/clerk', express.raw({ type: () => true, limit: 1 << 20 }), (_req, res) => {
  res.status(200).json({ status: 'ignored', eventType: 'session.created' });
});
listenForClient(createServer(app));
