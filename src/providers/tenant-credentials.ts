import { createHash, createHmac, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** The iteration count PostgreSQL itself uses for SCRAM-SHA-256 verifiers (scram_iterations default). */
const SCRAM_ITERATIONS = 4096;

/**
 * The tenant role's password: HMAC-SHA256(secret, userId) as base64url. Derived on demand, never stored, so
 * rotating the secret rotates every password (the provider re-sets it on the next create).
 */
export function tenantPassword(passwordSecret: string, userId: string): string {
  return createHmac('sha256', passwordSecret).update(userId).digest('base64url');
}

/**
 * A SCRAM-SHA-256 verifier for the tenant password (RFC 5802 / RFC 7677), in the form PostgreSQL stores in
 * pg_authid. Sent instead of the password, the plaintext never reaches the server or its statement log. The
 * salt is derived from the secret and the user id, so running CREATE/ALTER ROLE again sets the same value.
 */
export async function tenantPasswordVerifier(passwordSecret: string, userId: string): Promise<string> {
  const salt = createHmac('sha256', passwordSecret).update(`scram-sha-256 salt\0${userId}`).digest().subarray(0, 16);
  return scramSha256Verifier(tenantPassword(passwordSecret, userId), salt, SCRAM_ITERATIONS);
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. The password is used as-is: SASLprep leaves the
 * ASCII base64url passwords we derive unchanged.
 */
export async function scramSha256Verifier(password: string, salt: Buffer, iterations: number): Promise<string> {
  const saltedPassword = await pbkdf2Async(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  const b64 = (b: Buffer) => b.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
