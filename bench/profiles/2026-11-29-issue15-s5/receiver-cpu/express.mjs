// Express 5 alone, as the receiver mounts its webhook route (express.raw, res.json); NO_ETAG=1 turns ETags off.
import { createRequire } from 'node:module';

const express = createRequire(import.meta.url)('express');
const app = express();
app.disable('x-powered-by');
if (process.env.NO_ETAG) app.set('etag', false);
app.post('/webhooks/clerk', express.raw({ type: () => true, limit: 1 << 20 }), (_req, res) => {
  res.status(200).json({ status: 'ignored', eventType: 'session.created' });
});
let mark;
const server = app.listen(0, '127.0.0.1', () =>
  process.send({ url: `http://127.0.0.1:${server.address().port}/webhooks/clerk` }),
);
process.on('message', (m) => {
  if (m === 'mark') mark = process.cpuUsage();
  if (m === 'done') {
    const used = process.cpuUsage(mark);
    process.send({ cpuUs: used.user + used.system, rss: process.memoryUsage().rss });
    server.close();
    process.exit(0);
  }
});
