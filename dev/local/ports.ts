import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port one part of the local stack is about to listen on. */
export interface PortClaim {
  port: number;
  /** Who wants it, in words, e.g. "the Temporal Web UI". */
  service: string;
  /** The variable that moves it elsewhere. */
  envVar: string;
}

export class PortInUseError extends Error {
  constructor(readonly taken: PortClaim[]) {
    super(
      taken
        .map(
          (c) =>
            `Port ${c.port} is already in use, but ${c.service} needs it. ` +
            `Stop whatever listens there, or choose another port with ${c.envVar}=<port>.`,
        )
        .join('\n'),
    );
    this.name = 'PortInUseError';
  }
}

function tryListen(port: number, host: string): Promise<'free' | 'taken' | 'unsupported'> {
  return new Promise((resolveState) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolveState(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? 'taken' : 'unsupported'),
    );
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolveState('free')));
  });
}

/**
 * True when nothing listens on the port. Binding the dual-stack wildcard fails for a listener on 127.0.0.1,
 * 0.0.0.0 or ::; hosts without IPv6 fall back to the IPv4 wildcard.
 */
export async function isPortFree(port: number): Promise<boolean> {
  const dualStack = await tryListen(port, '::');
  if (dualStack !== 'unsupported') return dualStack === 'free';
  return (await tryListen(port, '0.0.0.0')) === 'free';
}

/** Checks every claim and reports all taken ports in one error, before anything has started. */
export async function assertPortsFree(claims: PortClaim[]): Promise<void> {
  const taken: PortClaim[] = [];
  for (const claim of claims) if (!(await isPortFree(claim.port))) taken.push(claim);
  if (taken.length > 0) throw new PortInUseError(taken);
}

/** Two parts of the stack must not share a port: caught here with the variables to change. */
export function assertDistinctPorts(claims: PortClaim[]): void {
  const seen = new Map<number, PortClaim>();
  for (const claim of claims) {
    const other = seen.get(claim.port);
    if (other) {
      throw new Error(
        `${other.envVar} and ${claim.envVar} are both ${claim.port}: ${other.service} and ${claim.service} cannot share a port.`,
      );
    }
    seen.set(claim.port, claim);
  }
}

/** True when something accepts TCP connections on host:port. */
export function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolveState) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolveState(true);
    });
    socket.once('error', () => resolveState(false));
  });
}

/** Polls until `ready()` is true; throws after `timeoutMs` naming what was awaited. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}.`);
    await sleep(200);
  }
}
