import { isIP } from 'node:net';
import { providerSettings, type ProviderSettings } from './provider.js';
import { Requirements } from './requirements.js';
import type { Env } from './schema.js';

/** DEMO_ACCOUNTS=true: the demo page's routes that create, sign in as and delete users without a password. */
export interface DemoAccounts {
  /**
   * Where the signed-in demo user's notes live: the provider the worker creates databases with, when this
   * process has its settings (`npm start` does; compose keeps database credentials from the receiver).
   */
  database?: ProviderSettings;
  /** Host names the page and its routes answer to (the rest get 421: a DNS-rebinding page never reaches them). */
  allowedHosts: string[];
}

const RISK = 'DEMO_ACCOUNTS=true lets anyone who reaches the page create, sign in as and delete Clerk users';
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The Clerk Backend API is the local stand-in: a loopback address, or a one-label name on a private network
 * (compose's `clerk-stand-in`). Anything else could be a real Clerk instance.
 */
function isLocalHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  if (isIP(hostname) === 4) return hostname.startsWith('127.');
  return !hostname.includes('.') && !hostname.startsWith('[');
}

/**
 * The demo's account routes, only when asked for (DEMO_ACCOUNTS=true) and only against the stand-in: a live
 * secret key, a publishable key or a Clerk API that is not local refuses the start.
 */
export function demoAccounts(env: Env, publicUrl: string, required: Requirements): DemoAccounts | undefined {
  if (!env.DEMO_ACCOUNTS) return undefined;
  const secretKey = required.need(env.CLERK_SECRET_KEY, 'CLERK_SECRET_KEY', 'DEMO_ACCOUNTS=true creates users with it');
  if (secretKey?.startsWith('sk_live_')) {
    required.refuse('CLERK_SECRET_KEY', `is a live key, and ${RISK}: use it only with the local Clerk stand-in`);
  }
  if (env.CLERK_PUBLISHABLE_KEY) {
    required.refuse('CLERK_PUBLISHABLE_KEY', `names a real Clerk instance, and ${RISK}: unset one of them`);
  }
  const apiUrl = env.CLERK_API_URL;
  if (!apiUrl || !isLocalHost(new URL(apiUrl).hostname)) {
    required.refuse(
      'CLERK_API_URL',
      `must be the local Clerk stand-in (a loopback address or a service name such as clerk-stand-in) when ${RISK}`,
    );
  }
  const publicHost = new URL(publicUrl).hostname;
  const missing = new Requirements();
  const database = providerSettings(env, missing);
  return {
    database: missing.problems.length === 0 ? database : undefined,
    allowedHosts: [...new Set([...LOOPBACK_HOSTS, publicHost])],
  };
}
