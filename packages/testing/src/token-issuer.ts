import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type JWK, SignJWT } from 'jose';

export interface TestTokenIssuerOptions {
  /** `iss` of the tokens; defaults to the user service's `shop-user-service`. */
  issuer?: string;
  /** `aud` of the tokens; defaults to `shop`. */
  audience?: string;
  /** `kid` of the signing key; defaults to `test-key`. */
  kid?: string;
}

export interface SignOptions {
  role: string;
  /** Defaults to `user-1`. */
  sub?: string;
  /** Negative values give an already expired token. Defaults to 900. */
  expiresInSeconds?: number;
  /** Header `kid`; another value than the issuer's simulates an unknown key. */
  kid?: string;
  /** Sign with another private key (a forged token). */
  key?: KeyObject;
  /** Extra claims next to `role`. */
  claims?: Record<string, unknown>;
}

/** Stands in for the user service: an ES256 key, its JWKS on 127.0.0.1, and a way to mint access tokens. */
export interface TestTokenIssuer {
  issuer: string;
  audience: string;
  kid: string;
  /** The public key set, for verifiers built with `jwks` instead of a URL. */
  jwks: { keys: JWK[] };
  /** `http://127.0.0.1:<port>/.well-known/jwks.json`, served until `close()`. */
  jwksUrl: string;
  /** How many times the JWKS endpoint was fetched (caching checks). */
  jwksFetches(): number;
  sign(options: SignOptions): Promise<string>;
  close(): Promise<void>;
}

/** Creates an ES256 key pair and serves its public JWK the way the user service publishes its keys. */
export async function createTestTokenIssuer(options: TestTokenIssuerOptions = {}): Promise<TestTokenIssuer> {
  const issuer = options.issuer ?? 'shop-user-service';
  const audience = options.audience ?? 'shop';
  const kid = options.kid ?? 'test-key';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  let fetches = 0;
  const server = http.createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    issuer,
    audience,
    kid,
    jwks,
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    jwksFetches: () => fetches,
    sign({ role, sub = 'user-1', expiresInSeconds = 900, kid: headerKid = kid, key = privateKey, claims }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims, role })
        .setProtectedHeader({ alg: 'ES256', kid: headerKid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSeconds)
        .sign(key);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
