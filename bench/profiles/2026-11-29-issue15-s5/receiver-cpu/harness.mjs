// The protocol between client.mjs and the server it forks: the server sends its webhook URL once it listens; on
// 'mark' it notes its CPU time, on 'done' it reports the CPU used since (µs) and its RSS, stops and exits.
export function answerClient(url, stop) {
  let mark;
  process.send({ url });
  process.on('message', async (m) => {
    if (m === 'mark') mark = process.cpuUsage();
    if (m === 'done') {
      const used = process.cpuUsage(mark);
      process.send({ cpuUs: used.user + used.system, rss: process.memoryUsage().rss });
      await stop();
      process.exit(0);
    }
  });
}

/** Listens on a free loopback port and answers the client (the bare servers and Express alone). */
export function listenForClient(server) {
  server.listen(0, '127.0.0.1', () =>
    answerClient(`http://127.0.0.1:${server.address().port}/webhooks/clerk`, () => server.close()),
  );
}
