import type { KeyObject } from 'node:crypto';
import { bootstrapService, type ServiceKit } from '@shop/service-kit';
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
import { type ComposedProductService, composeProductService } from '../src/compose.js';
import { DB_SCHEMA, productConfigSchema } from '../src/config.js';

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
    migrate: (url) => runMigrations({ connectionString: url, schema: DB_SCHEMA, dir: MIGRATIONS }),
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

const TEST_VERSION = '0.0.0-test';

export interface RunningProductApp extends ComposedProductService {
  kit: ServiceKit;
  clock: { now: Date };
  close(): Promise<void>;
}

export interface StartOptions {
  /** Point the cache client elsewhere, e.g. at a closed port to simulate an outage. */
  redisUrl?: string;
  internalToken?: string | undefined;
  /** Further environment keys, e.g. `PRODUCT_SEARCH_CACHE_TTL_SECONDS`. */
  env?: Record<string, string>;
  /** Runs on the built app before `ready()`, e.g. to add a probe route a test needs. */
  beforeReady?: (app: FastifyInstance) => void;
}

/** The product service's environment on a test environment: the keys main.ts parses. */
function productServiceEnv(env: ProductTestEnv, options: StartOptions): Record<string, string> {
  const internalToken = 'internalToken' in options ? options.internalToken : INTERNAL_TOKEN;
  return env.serviceEnv({
    DB_POOL_SIZE: '10',
    JWKS_URL: env.jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    PRODUCT_CACHE_TTL_SECONDS: '60',
    ...(internalToken === undefined ? {} : { INTERNAL_API_TOKEN: internalToken }),
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  });
}

/**
 * The service main.ts runs (same config parse and composition) against the test's database, Redis
 * prefix and JWKS, without its workers (tests that need them start their own); the clock is mutable.
 */
export async function startProductApp(
  env: ProductTestEnv,
  options: StartOptions = {},
): Promise<RunningProductApp> {
  const service = bootstrapService({
    name: 'product',
    version: TEST_VERSION,
    configSchema: productConfigSchema,
    env: productServiceEnv(env, options),
    inProcess: true,
  });
  const { kit } = service;
  const clock = { now: new Date() };
  const composed = await composeProductService(service, TEST_VERSION, { now: () => clock.now });
  options.beforeReady?.(composed.app);
  await composed.app.ready();
  kit.markStarted();
  if (!options.redisUrl) await waitForRedisReady(composed.redis);
  return { ...composed, kit, clock, close: () => kit.shutdown('test finished') };
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
