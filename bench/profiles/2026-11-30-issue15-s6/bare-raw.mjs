// node:http + body-parser raw (express.raw) + a plain JSON answer: the fast path's floor.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const express = createRequire(import.meta.url)('express');
const raw = express.raw({ type: () => true, limit: 1 << 20 });
const server = createServer((req, res) => {
  raw(req, res, () => {
    const body = JSON.stringify({ status: 'ignored', eventType: 'session.created' });
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
});
let mark;
server.listen(0, '127.0.0.1', () => process.send({ url: `http://127.0.0.1:${server.address().port}/webhooks/clerk` }));
process.on('message', (m) => {
  if (m === 'mark') mark = process.cpuUsage();
  if (m === 'done') {
    const used = process.cpuUsage(mark);
    process.send({ cpuUs: used.user + used.system, rss: process.memoryUsage().rss });
    server.close();
    process.exit(0);
  }
});
