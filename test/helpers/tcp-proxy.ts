import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../dev/local/free-port.js';

export interface TcpProxy {
  port: number;
  /** An outage: open connections are cut and new ones refused (the port is closed). */
  down(): Promise<void>;
  /** The service is back on the same port. */
  up(): Promise<void>;
  /**
   * A connection that stops forwarding without closing (a dead NAT entry, a hung peer): while on, bytes in
   * either direction are dropped and every socket stays open; clients notice only through their own timeouts.
   */
  blackhole(on: boolean): void;
  /**
   * Only the server's answers are dropped: requests still reach the server and take effect, and the client
   * never hears back (a server that accepted a request, then a cut before the answer got through).
   */
  holdAnswers(on: boolean): void;
  close(): Promise<void>;
}

/**
 * A TCP forwarder to a real server (PostgreSQL, Temporal) that a test can take down and bring back, which is
 * what an outage looks like to a client: refused connections, then the same address answering again.
 */
export async function startTcpProxy(
  targetHost: string,
  targetPort: number,
  options: { onClientData?: (chunk: Buffer) => void; onServerData?: (chunk: Buffer) => void } = {},
): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let blackholed = false;
  let answersHeld = false;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      if (server) return resolve(); // already up
      server = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        const forward = (from: Socket, to: Socket, held: () => boolean) =>
          from.on('data', (chunk: Buffer) => {
            if (!blackholed && !held()) to.write(chunk);
          });
        if (options.onClientData) client.on('data', options.onClientData);
        if (options.onServerData) upstream.on('data', options.onServerData);
        forward(client, upstream, () => false);
        forward(upstream, client, () => answersHeld);
        client.on('end', () => upstream.end());
        upstream.on('end', () => client.end());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });

  await listen();
  return {
    port,
    down: stop,
    up: listen,
    blackhole: (on) => (blackholed = on),
    holdAnswers: (on) => (answersHeld = on),
    close: stop,
  };
}
