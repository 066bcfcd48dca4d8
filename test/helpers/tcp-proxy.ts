import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../dev/local/free-port.js';

export interface TcpProxy {
  port: number;
  /** An outage: open connections are cut and new ones refused (the port is closed). */
  down(): Promise<void>;
  /** The service is back on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP forwarder to a real server (PostgreSQL, Temporal) that a test can take down and bring back, which is
 * what an outage looks like to a client: refused connections, then the same address answering again.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;

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
        client.pipe(upstream).pipe(client);
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
  return { port, down: stop, up: listen, close: stop };
}
