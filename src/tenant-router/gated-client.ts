import pg from 'pg';
import type { ConnectionGate } from './connection-gate.js';

type ConnectCallback = ((err: Error) => void) | ((err: null, client: pg.Client) => void);

/**
 * A pg Client that takes a permit from the gate before it opens its connection and gives it back when the
 * connection ends (closed by us, by the pool's idle timeout, or by the server). pg.Pool builds its clients
 * with it, so every tenant pool counts against the one global cap.
 */
export function gatedClientClass(gate: ConnectionGate): typeof pg.Client {
  return class GatedClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      const connected = this.#connectWithPermit();
      if (!callback) return connected;
      connected.then(
        (client) => (callback as (err: null, client: pg.Client) => void)(null, client),
        (error: Error) => (callback as (err: Error) => void)(error),
      );
    }

    async #connectWithPermit(): Promise<pg.Client> {
      await gate.acquire();
      let held = true;
      const release = () => {
        if (held) {
          held = false;
          gate.release();
        }
      };
      this.once('end', release);
      try {
        return await super.connect();
      } catch (error) {
        release();
        throw error;
      }
    }
  };
}
