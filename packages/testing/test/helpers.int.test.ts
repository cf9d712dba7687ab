import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Redis } from 'ioredis';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createTestEnvironment,
  createTestTokenIssuer,
  getFreePort,
  listenOnLoopback,
  type TestEnvironment,
  waitForRedisReady,
} from '../src/index.js';
import { startWithEnvironment, useFileFixture, useTestApp } from '../src/vitest.js';

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('createTestEnvironment', () => {
  it('creates and migrates its own database and Redis prefix, and teardown removes exactly those', async () => {
    const env: TestEnvironment = await createTestEnvironment('envhelper', {
      migrate: async (url) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query('CREATE TABLE widgets (id int PRIMARY KEY)');
        await client.end();
      },
    });
    const db = new pg.Client({ connectionString: env.db.url });
    await db.connect();
    expect((await db.query('SELECT count(*)::int AS n FROM widgets')).rows[0].n).toBe(0);
    await db.end();

    const redis = new Redis(env.redisPrefix.url);
    const neighbour = `shoptest:neighbour:${Date.now()}`;
    await redis.set(`${env.redisPrefix.prefix}k`, '1');
    await redis.set(neighbour, '1');
    await env.teardown();
    expect(await databaseExists(env.db.name)).toBe(false);
    expect(await redis.exists(`${env.redisPrefix.prefix}k`)).toBe(0);
    expect(await redis.exists(neighbour)).toBe(1);
    await redis.del(neighbour);
    redis.disconnect();
  });

  it('drops the new database again when the migration fails', async () => {
    let created = '';
    await expect(
      createTestEnvironment('envfail', {
        migrate: async (url) => {
          created = new URL(url).pathname.slice(1);
          throw new Error('migration 0002 failed');
        },
      }),
    ).rejects.toThrow('migration 0002 failed');
    expect(created).toMatch(/^shop_test_envfail_/);
    expect(await databaseExists(created)).toBe(false);
  });
  it('with tokens, serves a JWKS and hands a service the variables of its database, prefix and issuer', async () => {
    const env = await createTestEnvironment('envtokens', { tokens: { audience: 'aud-env' } });
    const vars = env.serviceEnv({ INTERNAL_API_TOKEN: 'extra-value' });
    expect(vars).toMatchObject({
      DATABASE_URL: env.db.url,
      REDIS_URL: env.redisPrefix.url,
      REDIS_KEY_PREFIX: env.redisPrefix.prefix,
      NODE_ENV: 'test',
      JWKS_URL: env.tokens.jwksUrl,
      JWT_ISSUER: 'shop-user-service',
      JWT_AUDIENCE: 'aud-env',
      INTERNAL_API_TOKEN: 'extra-value',
    });
    const token = await env.tokens.sign({ role: 'admin' });
    const verified = await jwtVerify(token, createRemoteJWKSet(new URL(vars.JWKS_URL!)), {
      issuer: vars.JWT_ISSUER!,
      audience: vars.JWT_AUDIENCE!,
    });
    expect(verified.payload.role).toBe('admin');
    await env.teardown();
    // The issuer's port is closed with the rest of the environment.
    await expect(fetch(env.tokens.jwksUrl)).rejects.toThrow();
    expect(await databaseExists(env.db.name)).toBe(false);
  });

  it('without tokens, names no JWKS in the service variables', async () => {
    const env = await createTestEnvironment('envplain');
    expect(env.serviceEnv()).not.toHaveProperty('JWKS_URL');
    expect('tokens' in env).toBe(false);
    await env.teardown();
  });
});

describe('createTestTokenIssuer', () => {
  const issuers: Awaited<ReturnType<typeof createTestTokenIssuer>>[] = [];
  afterAll(async () => {
    await Promise.all(issuers.map((i) => i.close()));
  });

  it('mints ES256 access tokens that verify against the JWKS it serves on loopback', async () => {
    const issuer = await createTestTokenIssuer();
    issuers.push(issuer);
    expect(issuer.jwksUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
    const keys = createRemoteJWKSet(new URL(issuer.jwksUrl));
    const token = await issuer.sign({ role: 'admin', sub: 'u-42', claims: { preferred_username: 'ada' } });
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: 'shop-user-service',
      audience: 'shop',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'test-key' });
    expect(payload).toMatchObject({ sub: 'u-42', role: 'admin', preferred_username: 'ada' });
    expect(issuer.jwksFetches()).toBe(1);
    expect(issuer.jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'test-key' });
    expect(issuer.jwks.keys[0]).not.toHaveProperty('d');
  });

  it('mints expired, foreign-key and unknown-kid tokens for negative tests', async () => {
    const issuer = await createTestTokenIssuer({ issuer: 'iss-x', audience: 'aud-x', kid: 'k1' });
    issuers.push(issuer);
    const verify = (token: string) =>
      jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUrl)), { issuer: 'iss-x', audience: 'aud-x' });
    await expect(
      verify(await issuer.sign({ role: 'customer', expiresInSeconds: -60 })),
    ).rejects.toBeInstanceOf(joseErrors.JWTExpired);
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expect(verify(await issuer.sign({ role: 'customer', key: foreign }))).rejects.toBeInstanceOf(
      joseErrors.JWSSignatureVerificationFailed,
    );
    await expect(verify(await issuer.sign({ role: 'customer', kid: 'other' }))).rejects.toBeInstanceOf(
      joseErrors.JWKSNoMatchingKey,
    );
  });
});

describe('waitForRedisReady', () => {
  it('resolves once the client is connected and rejects for a port nothing listens on', async () => {
    const ok = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await waitForRedisReady(ok);
    expect(ok.status).toBe('ready');
    await waitForRedisReady(ok);
    ok.disconnect();

    const down = new Redis(`redis://127.0.0.1:${await getFreePort()}`, { retryStrategy: () => null });
    await expect(waitForRedisReady(down, 2_000)).rejects.toThrow(/ECONNREFUSED|not ready/);
    down.disconnect();
  });
});

describe('listenOnLoopback', () => {
  it('listens through the kit on a free loopback port, waits for Redis and closes through the kit', async () => {
    const calls: string[] = [];
    const server = http.createServer((_req, res) => res.end('ok'));
    // The two lifecycle calls of a service kit, as the real kit performs them.
    const kit = {
      listen: (s: http.Server, port: number, host?: string) =>
        new Promise<http.Server>((resolve) => {
          calls.push(`listen ${port} ${host}`);
          s.listen(port, host, () => resolve(s));
        }),
      shutdown: async (reason: string) => {
        calls.push(`shutdown ${reason}`);
        await new Promise((resolve) => server.close(resolve));
      },
    };
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const running = await listenOnLoopback(kit, server, { redis });
    expect(redis.status).toBe('ready');
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect(await (await fetch(running.url)).text()).toBe('ok');
    await running.close();
    expect(calls).toEqual(['listen 0 127.0.0.1', 'shutdown test finished']);
    expect(server.listening).toBe(false);
    redis.disconnect();
  });
});

describe('useFileFixture', () => {
  const torn: string[] = [];

  describe('a file using the fixture', () => {
    const fixture = useFileFixture(
      async () => ({ name: 'resource', items: [1, 2] }),
      async (value) => {
        torn.push(value.name);
      },
    );

    it('sees the set-up value through the returned object', () => {
      expect(fixture).toEqual({ name: 'resource', items: [1, 2] });
      expect(torn).toEqual([]);
    });
  });

  it('tears the value down after the tests that used it', () => {
    expect(torn).toEqual(['resource']);
  });
});

describe('useTestApp', () => {
  const steps: string[] = [];

  describe('a file with an app on its own environment', () => {
    const app = useTestApp(
      async () => ({
        name: 'env-1',
        teardown: async () => {
          steps.push('env teardown');
        },
      }),
      async (env) => ({
        url: `http://app-on-${env.name}`,
        close: async () => {
          steps.push('app close');
        },
      }),
    );

    it('sees the started app and its environment', () => {
      expect(app.url).toBe('http://app-on-env-1');
      expect(app.env.name).toBe('env-1');
    });
  });

  it('closes the app before tearing its environment down', () => {
    expect(steps).toEqual(['app close', 'env teardown']);
  });

  it('tears the environment down when the app fails to start, and rethrows', async () => {
    const torn: string[] = [];
    await expect(
      startWithEnvironment(
        async () => ({
          teardown: async () => {
            torn.push('env');
          },
        }),
        async () => {
          throw new Error('port in use');
        },
      ),
    ).rejects.toThrow('port in use');
    expect(torn).toEqual(['env']);
  });
});

describe('getFreePort', () => {
  it('hands out distinct, bindable ports below the kernel ephemeral range (never an outgoing connection’s)', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = await Promise.all(Array.from({ length: 20 }, () => getFreePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThan(low!);
    }
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
