import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  createPgPool,
  createRedis,
  createServiceKit,
  type ServiceKit,
} from '@shop/service-kit';
import { createJwtVerifier } from '@shop/service-kit/auth';
import { runMigrations } from '@shop/service-kit/migrate';
import {
  createTestDatabase,
  createTestRedisPrefix,
  type TestDatabase,
  type TestRedisPrefix,
} from '@shop/testing';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { exportJWK, SignJWT } from 'jose';
import type pg from 'pg';
import { buildApp } from '../src/app.js';
import { createProductModules, type ProductModules } from '../src/modules.js';

export const MIGRATIONS = new URL('../migrations', import.meta.url);
export const INTERNAL_TOKEN = 'test-internal-token-0123456789';
const ISSUER = 'shop-user-service';
const AUDIENCE = 'shop';

/**
 * Per test file: its own database, Redis key prefix, and a JWKS endpoint on loopback serving a
 * freshly generated ES256 key (the real verifier fetches it over HTTP).
 */
export interface ProductTestEnv {
  db: TestDatabase;
  redisPrefix: TestRedisPrefix;
  jwksUrl: string;
  sign(claims: {
    role: string;
    sub?: string;
    expiresInSeconds?: number;
    kid?: string;
    key?: KeyObject;
  }): Promise<string>;
  teardown(): Promise<void>;
}

export async function createProductTestEnv(label: string): Promise<ProductTestEnv> {
  const db = await createTestDatabase(label);
  await runMigrations({ connectionString: db.url, schema: 'catalog', dir: MIGRATIONS });
  const redisPrefix = createTestRedisPrefix(label);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    db,
    redisPrefix,
    jwksUrl,
    sign: ({ role, sub = 'user-1', expiresInSeconds = 900, kid = 'test-key', key = privateKey }) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ role })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSeconds)
        .sign(key);
    },
    async teardown() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await redisPrefix.cleanup();
      await db.drop();
    },
  };
}

export interface RunningProductApp {
  app: FastifyInstance;
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  modules: ProductModules;
  clock: { now: Date };
  close(): Promise<void>;
}

export interface StartOptions {
  /** Point the cache client elsewhere, e.g. at a closed port to simulate an outage. */
  redisUrl?: string;
  internalToken?: string | undefined;
}

export async function startProductApp(
  env: ProductTestEnv,
  options: StartOptions = {},
): Promise<RunningProductApp> {
  const logger = createLogger({ name: 'product-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const kit = createServiceKit({ name: 'product', logger, exit: () => {}, flushTelemetryOnShutdown: false });
  const pool = createPgPool(kit, { connectionString: env.db.url, max: 10 });
  const redis = createRedis(kit, {
    url: options.redisUrl ?? env.redisPrefix.url,
    keyPrefix: env.redisPrefix.prefix,
    critical: false,
  });
  const clock = { now: new Date() };
  const modules = createProductModules({ kit, pool, redis, cacheTtlSeconds: 60, now: () => clock.now });
  const verifier = createJwtVerifier({ jwksUrl: env.jwksUrl, issuer: ISSUER, audience: AUDIENCE });
  const internalToken = 'internalToken' in options ? options.internalToken : INTERNAL_TOKEN;
  const app = await buildApp({ kit, modules, verifier, internalToken });
  await app.ready();
  kit.markStarted();
  if (!options.redisUrl) await waitForRedis(redis);
  return { app, kit, pool, redis, modules, clock, close: () => kit.shutdown('test finished') };
}

async function waitForRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('error', reject);
  });
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });
export const internal = { 'x-internal-token': INTERNAL_TOKEN };

let skuCounter = 0;
/** Creates a product straight through the admin API and returns it. */
export async function createProduct(
  running: RunningProductApp,
  adminToken: string,
  overrides: Record<string, unknown> = {},
): Promise<{ id: number; version: number; stock: number; price_amount: number; [k: string]: unknown }> {
  skuCounter += 1;
  const res = await running.app.inject({
    method: 'POST',
    url: '/api/v1/products',
    headers: auth(adminToken),
    payload: {
      sku: `TEST-${Date.now().toString(36)}-${skuCounter}`,
      name: `Test product ${skuCounter}`,
      price_amount: 1000,
      currency: 'USD',
      stock: 10,
      ...overrides,
    },
  });
  if (res.statusCode !== 201) throw new Error(`create product failed: ${res.statusCode} ${res.body}`);
  return res.json();
}
