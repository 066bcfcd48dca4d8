// The floor of an HTTP answer: node:http reads the body and answers a small JSON, nothing else.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
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
