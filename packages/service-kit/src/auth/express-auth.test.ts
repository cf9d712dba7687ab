import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-errors.js';
import { expressAuth } from './express-auth.js';
import { createJwtVerifier } from './jwt-verifier.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const sign = (role: string) =>
  new SignJWT({ role })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setSubject('user-7')
    .setIssuer('shop-user-service')
    .setAudience('shop')
    .setExpirationTime('5m')
    .sign(privateKey);

let base = '';
let close: () => Promise<void>;

beforeAll(async () => {
  const verifier = createJwtVerifier({
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] },
    issuer: 'shop-user-service',
    audience: 'shop',
  });
  const app = express();
  app.get('/any', expressAuth(verifier), (req, res) => {
    res.json(req.user);
  });
  app.get('/admin', expressAuth(verifier, { role: 'admin' }), (_req, res) => {
    res.json({ ok: true });
  });
  // Stand-in for the kit's problem+json handler: only the status and code matter here.
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = err instanceof DomainError ? err.status : 500;
    res.status(status).json({ code: err instanceof DomainError ? err.code : 'INTERNAL' });
  };
  app.use(onError);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await close?.();
});

const call = (path: string, token?: string) =>
  fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('expressAuth', () => {
  it('sets req.user for a valid token', async () => {
    const res = await call('/any', await sign('customer'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'user-7', role: 'customer' });
  });

  it('passes 401 for missing or invalid tokens and 403 for a wrong role to the error handler', async () => {
    expect((await call('/any')).status).toBe(401);
    const invalid = await call('/any', 'a.b.c');
    expect(invalid.status).toBe(401);
    expect(await invalid.json()).toEqual({ code: 'AUTH.INVALID_TOKEN' });
    const forbidden = await call('/admin', await sign('customer'));
    expect(forbidden.status).toBe(403);
    expect((await call('/admin', await sign('admin'))).status).toBe(200);
  });
});
