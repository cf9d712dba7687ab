import { generateKeyPairSync } from 'node:crypto';
import { createJwtVerifier } from '@shop/service-kit/auth';
import { getFreePort } from '@shop/testing';
import { decodeJwt, decodeProtectedHeader, exportJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../src/modules/auth/password-hasher.js';
import { loadSigningKeys } from '../src/modules/auth/signing-keys.js';
import {
  AUDIENCE,
  ISSUER,
  newUser,
  type RunningUserApp,
  registerAndLogin,
  startUserApp,
  useUserApp,
} from './harness.js';

const running = useUserApp('auth');

const login = (app: RunningUserApp, payload: object, remoteAddress = '127.0.0.1') =>
  app.app.inject({ method: 'POST', url: '/api/v1/users/login', payload, remoteAddress });
const refresh = (app: RunningUserApp, token: string) =>
  app.app.inject({ method: 'POST', url: '/api/v1/users/refresh', payload: { refresh_token: token } });
const me = (app: RunningUserApp, token: string) =>
  app.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } });

describe('login', () => {
  it('accepts the seed body {"username","password"} and returns an access and a refresh token', async () => {
    const body = newUser();
    await running.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
    const res = await login(running, { username: body.username, password: body.password });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const tokens = res.json();
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_expires_in: 3600 });
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts the email in place of the username, and an "email" field', async () => {
    const body = newUser();
    await running.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
    expect(
      (await login(running, { username: body.email.toUpperCase(), password: body.password })).statusCode,
    ).toBe(200);
    expect((await login(running, { email: body.email, password: body.password })).statusCode).toBe(200);
    expect((await login(running, { password: body.password })).statusCode).toBe(400);
    // NUL cannot reach PostgreSQL; a hostile login name is a 400, never a 500.
    expect((await login(running, { username: 'a\u0000b', password: 'whatever-123' })).statusCode).toBe(400);
    expect((await login(running, { username: "' OR '1'='1", password: 'whatever-123' })).statusCode).toBe(
      401,
    );
  });

  it('answers unknown users and wrong passwords with the same 401 body', async () => {
    const body = newUser();
    await running.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
    const wrong = await login(running, { username: body.username, password: 'wrong password!!' });
    const unknown = await login(running, { username: 'nobody_here', password: 'wrong password!!' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(wrong.json().code).toBe('AUTH.INVALID_CREDENTIALS');
  });

  it('spends one full argon2 verification on unknown users, exactly like on known users', async () => {
    // The real argon2 hasher counts its own verifications (nothing is stubbed).
    const passwords = createPasswordHasher();
    const app = await startUserApp(running.env, { overrides: { passwords } });
    try {
      const body = newUser();
      await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
      await login(app, { username: body.username, password: 'wrong password!!' });
      expect(passwords.verifications()).toBe(1);
      await login(app, { username: 'ghost_user', password: 'wrong password!!' });
      expect(passwords.verifications()).toBe(2);
    } finally {
      await app.close();
    }
  });
});

describe('access tokens', () => {
  it('are ES256 JWTs with kid, iss, aud, sub, role and a 15 minute lifetime, verifiable via the JWKS', async () => {
    const { user, tokens } = await registerAndLogin(running.app);
    const header = decodeProtectedHeader(tokens.access_token);
    const claims = decodeJwt(tokens.access_token);
    expect(header).toMatchObject({ alg: 'ES256', kid: running.keys.kid });
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: user.id, role: 'customer' });
    expect(claims.exp! - claims.iat!).toBe(900);

    const jwks = await running.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.statusCode).toBe(200);
    const keys = jwks.json().keys as Array<Record<string, unknown>>;
    expect(keys.map((k) => k.kid)).toContain(running.keys.kid);
    for (const key of keys) expect(key).not.toHaveProperty('d');
    const verifier = createJwtVerifier({ jwks: jwks.json(), issuer: ISSUER, audience: AUDIENCE });
    await expect(verifier.verify(tokens.access_token)).resolves.toMatchObject({
      id: user.id,
      role: 'customer',
    });
  });

  it('expire after 15 minutes (injected clock)', async () => {
    const { tokens } = await registerAndLogin(running.app);
    const issuedAt = running.clock.now;
    try {
      running.clock.now = new Date(issuedAt.getTime() + 14 * 60_000);
      expect((await me(running, tokens.access_token)).statusCode).toBe(200);
      running.clock.now = new Date(issuedAt.getTime() + 16 * 60_000);
      const expired = await me(running, tokens.access_token);
      expect(expired.statusCode).toBe(401);
      expect(expired.json().code).toBe('AUTH.TOKEN_EXPIRED');
    } finally {
      running.clock.now = issuedAt;
    }
  });

  it('rejects alg:none, HS256, tampered, foreign-key, wrong-issuer and wrong-audience tokens with 401', async () => {
    const { user, tokens } = await registerAndLogin(running.app);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = decodeJwt(tokens.access_token);
    const [header, , signature] = tokens.access_token.split('.');
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const signWith = (opts: { iss?: string; aud?: string }) =>
      new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'ES256', kid: running.keys.kid })
        .setSubject(user.id)
        .setIssuer(opts.iss ?? ISSUER)
        .setAudience(opts.aud ?? AUDIENCE)
        .setExpirationTime('10m')
        .sign(opts.iss || opts.aud ? running.keys.privateKey : foreign);
    const forged = [
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, role: 'admin' })}.`,
      `${b64({ alg: 'HS256', kid: running.keys.kid })}.${b64(claims)}.${signature}`,
      `${header}.${b64({ ...claims, role: 'admin' })}.${signature}`,
      await signWith({}),
      await signWith({ iss: 'someone-else' }),
      await signWith({ aud: 'other-audience' }),
    ];
    for (const token of forged) {
      const res = await me(running, token);
      expect(res.statusCode, token.slice(0, 40)).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('publishes extra keys from JWT_PUBLIC_KEYS so a next key verifies before it signs (rotation)', async () => {
    const next = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const nextJwk = { ...(await exportJWK(next.publicKey)), kid: 'next-key', alg: 'ES256' };
    const current = await loadSigningKeys({ extraPublicKeys: JSON.stringify({ keys: [nextJwk] }) });
    const app = await startUserApp(running.env, { keys: current, listen: true });
    try {
      const jwks = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      expect(jwks.keys.map((k) => k.kid)).toEqual([current.kid, 'next-key']);
      // A verifier pointed at the live JWKS URL accepts tokens of both keys.
      const verifier = createJwtVerifier({
        jwksUrl: `${app.url}/.well-known/jwks.json`,
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      const { tokens } = await registerAndLogin(app.app);
      await expect(verifier.verify(tokens.access_token)).resolves.toMatchObject({ role: 'customer' });
      const signedByNext = await new SignJWT({ role: 'customer' })
        .setProtectedHeader({ alg: 'ES256', kid: 'next-key' })
        .setSubject('u-1')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(next.privateKey);
      await expect(verifier.verify(signedByNext)).resolves.toMatchObject({ id: 'u-1' });
    } finally {
      await app.close();
    }
  });

  it('loads a configured PEM signing key and uses JWT_KEY_ID as kid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const keys = await loadSigningKeys({ privateKeyPem: pem.replaceAll('\n', '\\n'), keyId: 'prod-2026-01' });
    expect(keys).toMatchObject({ kid: 'prod-2026-01', alg: 'ES256' });
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect((await loadSigningKeys({ privateKeyPem: ed })).alg).toBe('EdDSA');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await expect(loadSigningKeys({ privateKeyPem: rsa.toString() })).rejects.toThrow(/P-256 or Ed25519/);
    await expect(
      loadSigningKeys({ extraPublicKeys: JSON.stringify([{ kty: 'EC', kid: 'x', d: 'secret' }]) }),
    ).rejects.toThrow(/private key material/);
  });

  it('warns when it has to generate a development key', async () => {
    const warnings: string[] = [];
    await loadSigningKeys({ logger: { warn: (msg: string) => warnings.push(msg) } as never });
    expect(warnings.join()).toMatch(/JWT_PRIVATE_KEY is not set/);
  });
});

describe('refresh tokens', () => {
  it('rotate on every use and are stored only as hashes with a TTL in Redis', async () => {
    const { tokens } = await registerAndLogin(running.app);
    const first = await refresh(running, tokens.refresh_token);
    expect(first.statusCode).toBe(200);
    const rotated = first.json();
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect((await me(running, rotated.access_token)).statusCode).toBe(200);

    // ioredis does not prefix KEYS patterns, so the test's own prefix is spelled out.
    const keys = await running.redis.keys(`${running.env.redisPrefix.prefix}refresh:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(tokens.refresh_token);
      expect(key).not.toContain(rotated.refresh_token);
      const bare = key.slice(running.env.redisPrefix.prefix.length);
      const ttl = await running.redis.pttl(bare);
      expect(ttl).toBeGreaterThan(0);
      expect(JSON.stringify(await running.redis.hgetall(bare))).not.toContain(rotated.refresh_token);
    }
  });

  it('revokes the whole family when an already-used refresh token is presented again', async () => {
    const { tokens } = await registerAndLogin(running.app);
    const second = (await refresh(running, tokens.refresh_token)).json().refresh_token as string;
    const reuse = await refresh(running, tokens.refresh_token);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('AUTH.REFRESH_TOKEN_REUSED');
    // The legitimate-looking newest token dies with the family.
    const afterRevoke = await refresh(running, second);
    expect(afterRevoke.statusCode).toBe(401);
    expect(afterRevoke.json().code).toBe('AUTH.INVALID_REFRESH_TOKEN');
  });

  it('lets only one of two concurrent refreshes with the same token succeed', async () => {
    const { tokens } = await registerAndLogin(running.app);
    const results = await Promise.all([
      refresh(running, tokens.refresh_token),
      refresh(running, tokens.refresh_token),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('are revoked by logout, and logout of an unknown token is a harmless 204', async () => {
    const { tokens } = await registerAndLogin(running.app);
    const out = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users/logout',
      payload: { refresh_token: tokens.refresh_token },
    });
    expect(out.statusCode).toBe(204);
    expect((await refresh(running, tokens.refresh_token)).statusCode).toBe(401);
    const unknown = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users/logout',
      payload: { refresh_token: 'never-issued' },
    });
    expect(unknown.statusCode).toBe(204);
  });

  it('rejects garbage refresh tokens with 401 and missing ones with 400', async () => {
    expect((await refresh(running, "' OR 1=1 --")).statusCode).toBe(401);
    const missing = await running.app.inject({ method: 'POST', url: '/api/v1/users/refresh', payload: {} });
    expect(missing.statusCode).toBe(400);
  });
});

describe('login brute-force limit', () => {
  it('answers 429 with Retry-After once a username collected too many failures, even with the right password', async () => {
    const app = await startUserApp(running.env, {
      loginLimits: { maxFailuresPerUsername: 3, maxFailuresPerIp: 100 },
    });
    try {
      const body = newUser();
      await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
      for (let i = 0; i < 3; i += 1) {
        // Different addresses: the per-username counter alone must trigger.
        expect(
          (await login(app, { username: body.username, password: 'wrong password!!' }, `10.0.0.${i + 1}`))
            .statusCode,
        ).toBe(401);
      }
      const blocked = await login(
        app,
        { username: body.username.toUpperCase(), password: body.password },
        '10.0.1.1',
      );
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json().code).toBe('AUTH.TOO_MANY_LOGIN_ATTEMPTS');
      // Unknown names are limited the same way (no enumeration through the limiter).
      for (let i = 0; i < 3; i += 1) await login(app, { username: 'ghost_name', password: 'x' }, '10.0.2.1');
      expect((await login(app, { username: 'ghost_name', password: 'x' }, '10.0.2.2')).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('answers 429 once one client address collected too many failures across usernames', async () => {
    const app = await startUserApp(running.env, {
      loginLimits: { maxFailuresPerUsername: 100, maxFailuresPerIp: 4 },
    });
    try {
      for (let i = 0; i < 4; i += 1) {
        expect(
          (await login(app, { username: `spray_${i}`, password: 'guess-123' }, '192.0.2.7')).statusCode,
        ).toBe(401);
      }
      const blocked = await login(app, { username: 'spray_9', password: 'guess-123' }, '192.0.2.7');
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await login(app, { username: 'spray_9', password: 'guess-123' }, '192.0.2.8')).statusCode).toBe(
        401,
      );
    } finally {
      await app.close();
    }
  });

  /** Statuses of `attempts` sent all at once, and how many argon2 verifications they caused. */
  async function burst(
    limits: { maxFailuresPerUsername: number; maxFailuresPerIp: number },
    attempt: (app: RunningUserApp, i: number) => ReturnType<typeof login>,
    setup: (app: RunningUserApp) => Promise<unknown> = async () => {},
  ) {
    const passwords = createPasswordHasher();
    const app = await startUserApp(running.env, { loginLimits: limits, overrides: { passwords } });
    try {
      await setup(app);
      const before = passwords.verifications();
      const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(app, i)));
      return { responses, verified: passwords.verifications() - before };
    } finally {
      await app.close();
    }
  }

  it('lets at most 5 of 30 parallel wrong passwords for one account reach argon2; the rest get 429 with Retry-After', async () => {
    const body = newUser();
    const { responses, verified } = await burst(
      { maxFailuresPerUsername: 5, maxFailuresPerIp: 1000 },
      (app, i) => login(app, { username: body.username, password: `wrong password ${i}` }, `10.9.0.${i + 1}`),
      (app) => app.app.inject({ method: 'POST', url: '/api/v1/users', payload: body }),
    );
    expect(verified).toBeLessThanOrEqual(5);
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(verified);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - verified);
    for (const limited of responses.filter((r) => r.statusCode === 429)) {
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.json().code).toBe('AUTH.TOO_MANY_LOGIN_ATTEMPTS');
    }
  });

  it('lets at most 5 of 30 parallel attempts from one address reach argon2, whatever the usernames', async () => {
    const address = '198.51.100.23';
    const { responses, verified } = await burst(
      { maxFailuresPerUsername: 100, maxFailuresPerIp: 5 },
      (app, i) => login(app, { username: `burst_spray_${i}`, password: 'guess-123' }, address),
    );
    expect(verified).toBeLessThanOrEqual(5);
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - verified);
    expect(
      responses.filter((r) => r.statusCode === 429).every((r) => Number(r.headers['retry-after']) > 0),
    ).toBe(true);
  });

  it('clears the username counter after a successful login', async () => {
    const app = await startUserApp(running.env, {
      loginLimits: { maxFailuresPerUsername: 3, maxFailuresPerIp: 100 },
    });
    try {
      const body = newUser();
      await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
      for (let round = 0; round < 2; round += 1) {
        await login(app, { username: body.username, password: 'wrong password!!' });
        await login(app, { username: body.username, password: 'wrong password!!' });
        expect((await login(app, { username: body.username, password: body.password })).statusCode).toBe(200);
      }
    } finally {
      await app.close();
    }
  });
});

describe('Redis outage', () => {
  it('answers login and refresh with 503 problem+json and Retry-After, and /readyz with 503', async () => {
    const closed = await getFreePort();
    const app = await startUserApp(running.env, { redisUrl: `redis://127.0.0.1:${closed}` });
    try {
      const body = newUser();
      expect((await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: body })).statusCode).toBe(
        201,
      );
      const res = await login(app, { username: body.username, password: body.password });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().code).toBe('AUTH.SESSION_STORE_UNAVAILABLE');
      expect((await refresh(app, 'whatever')).statusCode).toBe(503);
      expect((await app.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});
