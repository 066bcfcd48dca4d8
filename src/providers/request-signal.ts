import { AsyncLocalStorage } from 'node:async_hooks';

// The Xata SDKs take no AbortSignal per call (their request builders overwrite one), but both send every request
// through the fetch we give them: the signal of the provider call in progress reaches that fetch this way.
const callSignal = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` so that every request `requestSignal` guards inside it is aborted when `signal` is. */
export function withRequestSignal<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  if (!signal) return work();
  signal.throwIfAborted();
  return callSignal.run(signal, work);
}

/** The provider call's signal (see `withRequestSignal`), if any. */
export function currentCallSignal(): AbortSignal | undefined {
  return callSignal.getStore();
}

/** fetch that also stops when the provider call in progress is aborted (its activity was cancelled). */
export function abortableFetch(url: string, init?: RequestInit): Promise<Response> {
  const call = currentCallSignal();
  if (!call) return fetch(url, init);
  return fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, call]) : call });
}
