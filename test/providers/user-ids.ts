import { randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A fresh Clerk-shaped user id (`user_` + base62), unique per call, so test files never share a tenant. */
export function randomUserId(length = 27): string {
  return `user_${Array.from({ length }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
}
