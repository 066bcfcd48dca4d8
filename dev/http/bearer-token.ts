import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * A check that an `Authorization` header is `Bearer <expected>`. Both tokens are hashed before the
 * constant-time comparison, so the comparison takes as long whatever was sent and the key's length does not
 * leak either.
 */
export function bearerTokenCheck(expected: string): (authorization: string | undefined) => boolean {
  const expectedDigest = digest(expected);
  return (authorization) => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    return token !== undefined && timingSafeEqual(digest(token), expectedDigest);
  };
}
