// The floor of an HTTP answer: node:http reads the body and answers a small JSON, nothing else.
import { createServer } from 'node:http';
import { listenForClient } from './harness.mjs';

listenForClient(
  createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ status: 'ignored', eventType: 'session.created' });
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  }),
);
