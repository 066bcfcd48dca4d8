import { randomInt } from 'node:crypto';
import { isPortFree } from '../../dev/local/ports.js';

/**
 * Free ports below the kernel's ephemeral range (32768+ on Linux). A port from freePort() sits inside that range,
 * so between picking it and listening on it the kernel may hand it out as the source port of an outgoing
 * connection (Temporal and Postgres open many), and the listen fails with EADDRINUSE.
 */
async function stablePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = randomInt(20_000, 32_000);
    if (!taken.has(port) && (await isPortFree(port))) {
      taken.add(port);
      return port;
    }
  }
}

/** Distinct ports for every part of the local stack, as the environment variables that set them. */
export async function stackPorts() {
  const taken = new Set<number>();
  return {
    PORT: String(await stablePort(taken)),
    CLERK_STAND_IN_PORT: String(await stablePort(taken)),
    TEMPORAL_PORT: String(await stablePort(taken)),
    TEMPORAL_UI_PORT: String(await stablePort(taken)),
    EMBEDDED_POSTGRES_PORT: String(await stablePort(taken)),
  };
}
