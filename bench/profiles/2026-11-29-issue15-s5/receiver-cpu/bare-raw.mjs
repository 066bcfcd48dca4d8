// node:http + body-parser raw (express.raw) + a plain JSON answer: the floor of the webhook route without Express
// (added in session 6: ../../2026-11-30-issue15-s6/receiver-fastpath.md).
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { listenForClient } from './harness.mjs';

const express = createRequire(import.meta.url)('express');
const raw = express.raw({ type: () => true, limit: 1 << 20 });
listenForClient(
  createServer((req, res) => {
    raw(req, res, () => {
      const body = JSON.stringify({ status: 'ignored', eventType: 'session.created' });
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  }),
);
