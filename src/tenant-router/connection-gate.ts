import { TenantPoolExhaustedError } from './errors.js';

interface Waiter {
  grant(): void;
}

/**
 * Counts the router's open connections across every tenant pool: a connection is opened only with a permit,
 * and its permit comes back when the connection ends. Waiters are served first come, first served. When the
 * gate is full, `relieve` is asked to close idle connections elsewhere (it evicts idle pools).
 */
export class ConnectionGate {
  #open = 0;
  readonly #waiters: Waiter[] = [];

  constructor(
    readonly max: number,
    private readonly waitMs: number,
    private readonly relieve: () => void,
  ) {}

  get open(): number {
    return this.#open;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves once a connection may be opened; the caller must `release()` exactly once when it closes. */
  acquire(): Promise<void> {
    if (this.#open < this.max && this.#waiters.length === 0) {
      this.#open++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(new TenantPoolExhaustedError(this.max, this.waitMs));
      }, this.waitMs);
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
      this.relieve();
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    // The permit passes straight to the next waiter: the count stays, so no newcomer can slip in between.
    if (next) next.grant();
    else this.#open--;
  }

  /** Runs work that holds one connection of its own (a migration's client) under a permit. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
