import pg from 'pg';
import type { TenantConnection } from './connections.js';

type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * One tenant's pg pool whose every checkout (pg.Pool's own `query` checks out through `connect` too) goes
 * through the tenant's login rule: a checkout that opens a connection and is refused the password during a
 * credential rotation is tried once more with the other secret's. A client cannot log in twice, so the retry
 * has to be a second checkout.
 */
export class TenantPool extends pg.Pool {
  #checkouts = 0;
  #served?: () => void;

  constructor(
    config: pg.PoolConfig,
    private readonly logIn: TenantConnection['logIn'],
  ) {
    super(config);
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    this.#checkouts++;
    const connected = this.logIn(() => super.connect()).finally(() => {
      if (--this.#checkouts === 0) this.#served?.();
    });
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  /**
   * Ends the pool once every checkout in progress has its connection: pg.Pool's `end()` never answers a
   * checkout still waiting in the pool's queue. Connections out are closed when released, as with `end()`.
   */
  endWhenServed(): Promise<void> {
    if (this.#checkouts === 0) return this.end();
    return new Promise<void>((resolve) => (this.#served = resolve)).then(() => this.end());
  }
}
