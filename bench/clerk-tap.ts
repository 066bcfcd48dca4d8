import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

const METADATA_PATH = /^\/v1\/users\/([^/]+)\/metadata$/;

export interface MetadataWrite {
  userId: string;
  /** `publicMetadata.database.status` of the write, if it carried one. */
  status?: string;
  /** performance.now() when the stand-in's 200 answer had been passed back to the caller. */
  at: number;
}

/**
 * A pass-through proxy in front of the Clerk stand-in that sees every successful metadata write as it
 * happens, so a benchmark learns the moment a user's database is recorded without polling. Both the worker
 * and the floor talk to Clerk through it, so the extra hop is the same on both sides.
 */
export async function startClerkTap(target: string) {
  const upstream = new URL(target);
  const writes = new Map<string, MetadataWrite[]>();
  const waiters = new Map<string, Array<{ status: string; resolve: (w: MetadataWrite) => void }>>();

  const record = (write: MetadataWrite) => {
    writes.set(write.userId, [...(writes.get(write.userId) ?? []), write]);
    const pending = waiters.get(write.userId) ?? [];
    const [matched, rest] = [
      pending.filter((w) => w.status === write.status),
      pending.filter((w) => w.status !== write.status),
    ];
    waiters.set(write.userId, rest);
    for (const w of matched) w.resolve(write);
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          const userId = METADATA_PATH.exec(req.url ?? '')?.[1];
          if (req.method === 'PATCH' && userId && answer.statusCode === 200) {
            record({ userId: decodeURIComponent(userId), status: databaseStatus(body), at: performance.now() });
          }
        });
      },
    );
    forwarded.on('error', () => res.writeHead(502).end());
    forwarded.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    /** Resolves at the first successful write of `status` for the user from now on (or one already seen). */
    waitForStatus(userId: string, status: string): Promise<MetadataWrite> {
      const seen = writes.get(userId)?.find((w) => w.status === status);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.set(userId, [...(waiters.get(userId) ?? []), { status, resolve }]));
    },
    /** Successful metadata writes for the user so far. */
    writesFor: (userId: string): MetadataWrite[] => writes.get(userId) ?? [],
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type ClerkTap = Awaited<ReturnType<typeof startClerkTap>>;

function databaseStatus(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { public_metadata?: { database?: { status?: unknown } } };
    const status = parsed.public_metadata?.database?.status;
    return typeof status === 'string' ? status : undefined;
  } catch {
    return undefined;
  }
}
