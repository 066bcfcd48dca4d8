import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { newId } from './ids.js';

/** The signing key as it is saved in the state file: its `kid` and the PKCS#8 PEM private key. */
export const signingKeyRecordSchema = z.strictObject({
  kid: z.string().regex(/^ins_[A-Za-z0-9]+$/),
  privateKeyPem: z.string().startsWith('-----BEGIN PRIVATE KEY-----'),
});
export type SigningKeyRecord = z.infer<typeof signingKeyRecordSchema>;

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * The instance's RS256 key pair, as Clerk signs session tokens with: the private half signs, the public half is
 * served as a JWKS at `GET /v1/jwks` (and is what `CLERK_JWT_KEY` holds, as PEM).
 */
export class SessionSigningKey {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  private constructor(readonly record: SigningKeyRecord) {
    this.privateKey = createPrivateKey(record.privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
  }

  static generate(): SessionSigningKey {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    // Clerk's kids are instance ids (`ins_…`).
    return new SessionSigningKey({ kid: newId('ins'), privateKeyPem });
  }

  static from(record: SigningKeyRecord): SessionSigningKey {
    return new SessionSigningKey(record);
  }

  get kid(): string {
    return this.record.kid;
  }

  /** The public key as PEM (SPKI): the value of Clerk's "JWT public key" (`CLERK_JWT_KEY`). */
  publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** `GET /v1/jwks`: `{ keys: [{ use, kty, kid, alg, n, e }] }`. */
  jwks(): { keys: Array<Record<string, string>> } {
    const { n, e } = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ use: 'sig', kty: 'RSA', kid: this.kid, alg: 'RS256', n: String(n), e: String(e) }] };
  }

  /** A compact RS256 JWT with `kid` in its header. */
  signJwt(claims: Record<string, unknown>): string {
    const header = base64url(JSON.stringify({ alg: 'RS256', kid: this.kid, typ: 'JWT' }));
    const payload = base64url(JSON.stringify(claims));
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.privateKey);
    return `${header}.${payload}.${base64url(signature)}`;
  }
}
