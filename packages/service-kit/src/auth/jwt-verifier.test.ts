import { createHmac, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type JWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../errors/domain-errors.js';
import { fastifyAuth } from './fastify-auth.js';
import { createJwtVerifier } from './jwt-verifier.js';

const ISSUER = 'shop-user-service';
const AUDIENCE = 'shop';

async function newEcKey(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { privateKey, publicKey, jwk, kid };
}

type Key = Awaited<ReturnType<typeof newEcKey>>;

function sign(
  key: Key,
  claims: Record<string, unknown> = {},
  opts: { iss?: string; aud?: string; exp?: number } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'customer', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setSubject('user-1')
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 900)
    .sign(key.privateKey);
}

const b64url = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function expectProblem(promise: Promise<unknown>, status: number, code: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).status).toBe(status);
  expect((err as DomainError).code).toBe(code);
}

describe('createJwtVerifier against a JWKS served over HTTP', () => {
  let keyA: Key;
  let keyB: Key;
  let published: JWK[];
  let fetches = 0;
  let server: http.Server;
  let jwksUrl: string;

  beforeAll(async () => {
    keyA = await newEcKey('key-a');
    keyB = await newEcKey('key-b');
    published = [keyA.jwk];
    server = http.createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const verifier = () =>
    createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, jwksCooldownMs: 0 });

  it('accepts a valid ES256 token and returns the subject and role', async () => {
    const user = await verifier().verify(await sign(keyA, { role: 'admin' }));
    expect(user).toMatchObject({ id: 'user-1', role: 'admin' });
    expect(user.claims.iss).toBe(ISSUER);
  });

  it('caches the key set instead of fetching it for every token', async () => {
    const v = verifier();
    const token = await sign(keyA);
    const before = fetches;
    await v.verify(token);
    await v.verify(token);
    await v.verify(token);
    expect(fetches - before).toBe(1);
  });

  it('re-fetches the key set when a token names an unknown kid (rotation)', async () => {
    const v = verifier();
    await v.verify(await sign(keyA));
    published = [keyA.jwk, keyB.jwk];
    try {
      const before = fetches;
      await expect(v.verify(await sign(keyB))).resolves.toMatchObject({ id: 'user-1' });
      expect(fetches - before).toBe(1);
    } finally {
      published = [keyA.jwk];
    }
  });

  it('rejects alg "none" tokens with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64url({ alg: 'none', kid: 'key-a' })}.${b64url({ sub: 'user-1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now + 900 })}.`;
    await expectProblem(verifier().verify(token), 401, 'AUTH.INVALID_TOKEN');
  });

  it('rejects an HS256 token whose HMAC secret is the public key (algorithm confusion)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url({ alg: 'HS256', kid: 'key-a', typ: 'JWT' });
    const payload = b64url({ sub: 'user-1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now + 900 });
    const pem = keyA.publicKey.export({ type: 'spki', format: 'pem' });
    const mac = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    await expectProblem(verifier().verify(`${header}.${payload}.${mac}`), 401, 'AUTH.INVALID_TOKEN');
  });

  it('rejects an RS256 token signed by a foreign key under a known kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid: 'key-a' })
      .setSubject('user-1')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('15m')
      .sign(privateKey);
    await expectProblem(verifier().verify(token), 401, 'AUTH.INVALID_TOKEN');
  });

  it('rejects a token whose payload was tampered with', async () => {
    const [header, , signature] = (await sign(keyA)).split('.');
    const forged = b64url({ sub: 'user-1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 });
    await expectProblem(verifier().verify(`${header}.${forged}.${signature}`), 401, 'AUTH.INVALID_TOKEN');
  });

  it('rejects a token signed by a key that is not published', async () => {
    const stranger = await newEcKey('key-a');
    await expectProblem(verifier().verify(await sign(stranger)), 401, 'AUTH.INVALID_TOKEN');
  });

  it('rejects a wrong issuer and a wrong audience', async () => {
    await expectProblem(verifier().verify(await sign(keyA, {}, { iss: 'evil' })), 401, 'AUTH.INVALID_TOKEN');
    await expectProblem(verifier().verify(await sign(keyA, {}, { aud: 'other' })), 401, 'AUTH.INVALID_TOKEN');
  });

  it('rejects an expired token with AUTH.TOKEN_EXPIRED, judged by the injected clock', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectProblem(
      verifier().verify(await sign(keyA, {}, { exp: now - 60 })),
      401,
      'AUTH.TOKEN_EXPIRED',
    );
    const token = await sign(keyA, {}, { exp: now + 900 });
    const later = createJwtVerifier({
      jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => new Date((now + 1000) * 1000),
    });
    await expectProblem(later.verify(token), 401, 'AUTH.TOKEN_EXPIRED');
  });

  it('rejects tokens without a role claim and garbage strings', async () => {
    await expectProblem(verifier().verify(await sign(keyA, { role: undefined })), 401, 'AUTH.INVALID_TOKEN');
    await expectProblem(verifier().verify('not-a-jwt'), 401, 'AUTH.INVALID_TOKEN');
    await expectProblem(verifier().verify(`${'a'.repeat(9000)}.b.c`), 401, 'AUTH.INVALID_TOKEN');
  });

  it('answers 503 when the key set cannot be fetched and none is cached', async () => {
    const v = createJwtVerifier({
      jwksUrl: 'http://127.0.0.1:9/jwks.json',
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await expectProblem(v.verify(await sign(keyA)), 503, 'AUTH.KEYS_UNAVAILABLE');
  });

  it('keeps verifying with the last good key set when the JWKS endpoint goes away', async () => {
    const flaky = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [keyA.jwk] }));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/jwks.json`;
    // Cache max age 0: every verification tries to refresh, so the fallback is what answers.
    // verifiedCacheMs 0: the second verification checks the signature (and asks for keys) again.
    const v = createJwtVerifier({
      jwksUrl: url,
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksCacheMaxAgeMs: 0,
      verifiedCacheMs: 0,
    });
    const token = await sign(keyA);
    await v.verify(token);
    flaky.closeAllConnections();
    await new Promise((resolve) => flaky.close(resolve));
    await expect(v.verify(token)).resolves.toMatchObject({ id: 'user-1' });
  });

  it('refuses to be configured with a symmetric or "none" algorithm', () => {
    expect(() =>
      createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] }),
    ).toThrow(TypeError);
  });
});

describe('verified tokens remembered (verifiedCacheMs)', () => {
  let key: Key;
  let signatureChecks = 0;
  const realVerify = crypto.subtle.verify.bind(crypto.subtle);
  beforeAll(async () => {
    key = await newEcKey('key-c');
  });
  beforeEach(() => {
    signatureChecks = 0;
    vi.spyOn(crypto.subtle, 'verify').mockImplementation((...args) => {
      signatureChecks++;
      return realVerify(...args);
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const withClock = (clock: { ms: number }, extra: Partial<Parameters<typeof createJwtVerifier>[0]> = {}) =>
    createJwtVerifier({
      jwks: { keys: [key.jwk] },
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => new Date(clock.ms),
      ...extra,
    });

  it('checks a token’s signature once per minute, not on every request', async () => {
    const clock = { ms: Date.now() };
    const v = withClock(clock);
    const token = await sign(key, { role: 'admin' });
    for (let i = 0; i < 3; i++) await expect(v.verify(token)).resolves.toMatchObject({ role: 'admin' });
    expect(signatureChecks).toBe(1);
    clock.ms += 61_000;
    await v.verify(token);
    expect(signatureChecks).toBe(2);
    const every = withClock(clock, { verifiedCacheMs: 0 });
    await every.verify(token);
    await every.verify(token);
    expect(signatureChecks).toBe(4);
  });

  it('still judges expiry on every use: a remembered token that expires is a 401 AUTH.TOKEN_EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = { ms: now * 1000 };
    const v = withClock(clock);
    const token = await sign(key, {}, { exp: now + 20 });
    await v.verify(token);
    clock.ms += 26_000; // past exp + the 5 s tolerance, inside the minute
    await expectProblem(v.verify(token), 401, 'AUTH.TOKEN_EXPIRED');
  });

  it('remembers by the whole token: one changed byte of a remembered token is verified, and rejected', async () => {
    const v = withClock({ ms: Date.now() });
    const token = await sign(key);
    await v.verify(token);
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'AB' : 'AA'}`;
    await expectProblem(v.verify(`${header}.${payload}.${flipped}`), 401, 'AUTH.INVALID_TOKEN');
    const forged = b64url({ sub: 'user-1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 });
    await expectProblem(v.verify(`${header}.${forged}.${signature}`), 401, 'AUTH.INVALID_TOKEN');
  });

  it('holds at most verifiedCacheSize tokens, forgetting the oldest', async () => {
    const v = withClock({ ms: Date.now() }, { verifiedCacheSize: 2 });
    const [a, b, c] = await Promise.all([sign(key, { n: 1 }), sign(key, { n: 2 }), sign(key, { n: 3 })]);
    for (const t of [a!, b!, c!]) await v.verify(t);
    expect(signatureChecks).toBe(3);
    await v.verify(c!);
    await v.verify(b!);
    expect(signatureChecks).toBe(3);
    await v.verify(a!);
    expect(signatureChecks).toBe(4);
  });

  it('hands each caller its own copy (a caller changing it changes nothing for the next)', async () => {
    const v = withClock({ ms: Date.now() });
    const token = await sign(key, { role: 'customer' });
    const first = await v.verify(token);
    first.role = 'admin';
    expect((await v.verify(token)).role).toBe('customer');
  });
});

describe('fastifyAuth', () => {
  it('answers 401 without a bearer token and 403 for a role that is not allowed', async () => {
    const key = await newEcKey('k1');
    const verifier = createJwtVerifier({ jwks: { keys: [key.jwk] }, issuer: ISSUER, audience: AUDIENCE });
    const adminOnly = fastifyAuth(verifier, { role: 'admin' });
    const call = (authorization?: string) => {
      const request = { headers: authorization === undefined ? {} : { authorization } } as never;
      return (adminOnly as (this: unknown, req: unknown, reply: unknown) => Promise<void>).call(
        undefined,
        request,
        {},
      );
    };
    await expectProblem(call(), 401, 'AUTH.MISSING_TOKEN');
    await expectProblem(call('Basic abc'), 401, 'AUTH.MISSING_TOKEN');
    await expectProblem(call(`Bearer ${await sign(key)}`), 403, 'AUTH.FORBIDDEN');
    const request = { headers: { authorization: `Bearer ${await sign(key, { role: 'admin' })}` } } as {
      headers: Record<string, string>;
      user?: unknown;
    };
    await (adminOnly as (this: unknown, req: unknown, reply: unknown) => Promise<void>).call(
      undefined,
      request,
      {},
    );
    expect(request.user).toEqual({ id: 'user-1', role: 'admin' });
  });
});
