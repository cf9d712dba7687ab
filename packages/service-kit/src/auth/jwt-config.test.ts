import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { baseConfigSchema, loadConfig } from '../config/config.js';
import { jwtConfigSchema, jwtVerifierOptionsFromConfig } from './jwt-config.js';
import { createJwtVerifier } from './jwt-verifier.js';

const schema = baseConfigSchema.extend({ ...jwtConfigSchema.shape });

describe('jwtVerifierOptionsFromConfig', () => {
  it('defaults to the user service’s well-known JWKS, issuer, audience and SERVICE_TIMEOUT', () => {
    const config = loadConfig(schema, {
      USER_SERVICE_URL: 'http://user-service:8080/',
      SERVICE_TIMEOUT: '4s',
    });
    expect(jwtVerifierOptionsFromConfig(config)).toEqual({
      jwksUrl: 'http://user-service:8080/.well-known/jwks.json',
      issuer: 'shop-user-service',
      audience: 'shop',
      algorithms: ['ES256', 'EdDSA'],
      jwksTimeoutMs: 4000,
    });
  });

  it('prefers JWKS_URL and keeps a path prefix of USER_SERVICE_URL', () => {
    const prefixed = loadConfig(schema, { USER_SERVICE_URL: 'http://gateway/user' });
    expect(jwtVerifierOptionsFromConfig(prefixed).jwksUrl).toBe('http://gateway/user/.well-known/jwks.json');
    const explicit = loadConfig(schema, { JWKS_URL: 'http://keys.local/jwks.json', JWT_AUDIENCE: 'other' });
    expect(jwtVerifierOptionsFromConfig(explicit)).toMatchObject({
      jwksUrl: 'http://keys.local/jwks.json',
      audience: 'other',
    });
  });

  it('accepts tokens the user service signs with an Ed25519 key as well as with P-256', async () => {
    const config = loadConfig(schema, {});
    for (const [type, alg] of [
      ['ed25519', 'EdDSA'],
      ['ec', 'ES256'],
    ] as const) {
      const { privateKey, publicKey } =
        type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
      const jwk = { ...(await exportJWK(publicKey)), kid: `k-${alg}`, alg, use: 'sig' };
      const verifier = createJwtVerifier(jwtVerifierOptionsFromConfig(config, { jwks: { keys: [jwk] } }));
      const token = await new SignJWT({ role: 'customer' })
        .setProtectedHeader({ alg, kid: `k-${alg}` })
        .setSubject('user-7')
        .setIssuer('shop-user-service')
        .setAudience('shop')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect(await verifier.verify(token)).toMatchObject({ id: 'user-7', role: 'customer' });
    }
  });
});
