import pg from 'pg';
import type { TenantConnection } from './connections.js';

type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * One tenant's pg pool whose every checkout goes through the tenant's login rule: a checkout that opens a
 * connection and is refused the password during a credential rotation is tried once more with the other
 * secret's (pg.Pool's own `query` checks out through `connect` too). A client cannot log in twice, so the retry
 * has to be a second checkout.
 */
export class TenantPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly logIn: TenantConnection['logIn'],
  ) {
    super(config);
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const connected = this.logIn(() => super.connect());
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }
}
