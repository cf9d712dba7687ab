import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export interface AccessTokenOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now: () => Date;
}

export interface TokenSubject {
  id: string;
  role: string;
  username: string;
}

/** Issues short-lived access tokens signed with the current key (`kid` in the header). */
export interface AccessTokenIssuer {
  readonly ttlSeconds: number;
  issue(subject: TokenSubject): Promise<string>;
}

export function createAccessTokenIssuer(options: AccessTokenOptions): AccessTokenIssuer {
  return {
    ttlSeconds: options.ttlSeconds,
    issue(subject) {
      const iat = Math.floor(options.now().getTime() / 1000);
      return new SignJWT({ role: subject.role, preferred_username: subject.username })
        .setProtectedHeader({ alg: options.keys.alg, kid: options.keys.kid, typ: 'JWT' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(subject.id)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + options.ttlSeconds)
        .setJti(randomUUID())
        .sign(options.keys.privateKey);
    },
  };
}
