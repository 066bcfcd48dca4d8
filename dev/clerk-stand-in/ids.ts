import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** KSUID epoch (2014-05-13T16:53:20Z), in seconds. */
const KSUID_EPOCH_SECONDS = 1_400_000_000;
const KSUID_LENGTH = 27;

/**
 * A KSUID: 4 bytes of seconds since the KSUID epoch and 16 random bytes, base62-encoded to 27 characters.
 * Clerk's ids (`user_…`, `idn_…`, `ins_…`) and Svix's message ids (`msg_…`) have this shape, so ids made
 * later sort after earlier ones, as they do in Clerk.
 */
function ksuid(now = Date.now()): string {
  const bytes = Buffer.alloc(20);
  bytes.writeUInt32BE(Math.floor(now / 1000) - KSUID_EPOCH_SECONDS, 0);
  randomBytes(16).copy(bytes, 4);
  let value = BigInt(`0x${bytes.toString('hex')}`);
  let text = '';
  while (value > 0n) {
    text = BASE62[Number(value % 62n)] + text;
    value /= 62n;
  }
  return text.padStart(KSUID_LENGTH, '0');
}

export type IdPrefix = 'user' | 'idn' | 'ins' | 'msg' | 'sess' | 'client';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ksuid()}`;
}

/** A random hex id like the `clerk_trace_id` Clerk puts on error responses. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}
