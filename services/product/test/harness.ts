import type { KeyObject } from 'node:crypto';
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
  createTestEnvironment,
  createTestTokenIssuer,
  type SignOptions,
  type TestEnvironment,
  waitForRedisReady,
} from '@shop/testing';
import { useTestApp } from '@shop/testing/vitest';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
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
export interface ProductTestEnv extends TestEnvironment {
  jwksUrl: string;
  sign(
    claims: Pick<SignOptions, 'role' | 'sub' | 'expiresInSeconds' | 'kid'> & { key?: KeyObject },
  ): Promise<string>;
}

export async function createProductTestEnv(label: string): Promise<ProductTestEnv> {
  const env = await createTestEnvironment(label, {
    migrate: (url) => runMigrations({ connectionString: url, schema: 'catalog', dir: MIGRATIONS }),
  });
  const issuer = await createTestTokenIssuer({ issuer: ISSUER, audience: AUDIENCE });
  return {
    ...env,
    jwksUrl: issuer.jwksUrl,
    sign: (claims) => issuer.sign(claims),
    async teardown() {
      await issuer.close();
      await env.teardown();
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
  /** Runs on the built app before `ready()`, e.g. to add a probe route a test needs. */
  beforeReady?: (app: FastifyInstance) => void;
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
  options.beforeReady?.(app);
  await app.ready();
  kit.markStarted();
  if (!options.redisUrl) await waitForRedisReady(redis);
  return { app, kit, pool, redis, modules, clock, close: () => kit.shutdown('test finished') };
}

/** The app a test file shares, plus the environment it runs on. */
export type ProductSuite = RunningProductApp & { env: ProductTestEnv };

/** Per-file setup: environment and app in `beforeAll`, closed and dropped in `afterAll`. */
export function useProductApp(label: string, options: StartOptions = {}): ProductSuite {
  return useTestApp(
    () => createProductTestEnv(label),
    (env) => startProductApp(env, options),
  );
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
