import type { AddressInfo } from 'node:net';
import {
  createLogger,
  createPgPool,
  createRedis,
  createServiceKit,
  type ServiceKit,
} from '@shop/service-kit';
import { runMigrations } from '@shop/service-kit/migrate';
import { createTestEnvironment, type TestEnvironment, waitForRedisReady } from '@shop/testing';
import { useTestApp } from '@shop/testing/vitest';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildApp, type UserAppDeps } from '../src/app.js';
import type { LoginLimits } from '../src/modules/auth/login-limiter.js';
import { loadSigningKeys, type SigningKeys } from '../src/modules/auth/signing-keys.js';

export const MIGRATIONS = new URL('../migrations', import.meta.url);
export const ISSUER = 'shop-user-service';
export const AUDIENCE = 'shop';

/** One database (schema `users` migrated) and one Redis prefix per test file; `teardown()` drops both. */
export type UserTestEnv = TestEnvironment;

export function createUserTestEnv(label: string): Promise<UserTestEnv> {
  return createTestEnvironment(label, {
    migrate: (url) => runMigrations({ connectionString: url, schema: 'users', dir: MIGRATIONS }),
  });
}

export interface RunningUserApp {
  app: FastifyInstance;
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  keys: SigningKeys;
  clock: { now: Date };
  /** Base URL when started with `listen: true`. */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  loginLimits?: Partial<LoginLimits>;
  /** Point the Redis client elsewhere, e.g. a closed port to simulate an outage. */
  redisUrl?: string;
  /** Point the pool elsewhere, e.g. through a TCP proxy the test cuts. */
  databaseUrl?: string;
  keys?: SigningKeys;
  listen?: boolean;
  overrides?: Partial<UserAppDeps>;
  /** Runs on the built app before `ready()`, e.g. to add a probe route a test needs. */
  beforeReady?: (app: FastifyInstance) => void;
}

/** Builds the real app against the test's database and Redis prefix; the clock is mutable. */
export async function startUserApp(env: UserTestEnv, options: StartOptions = {}): Promise<RunningUserApp> {
  const logger = createLogger({ name: 'user-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const kit = createServiceKit({ name: 'user', logger, exit: () => {}, flushTelemetryOnShutdown: false });
  const pool = createPgPool(kit, { connectionString: options.databaseUrl ?? env.db.url, max: 5 });
  const redis = createRedis(kit, {
    url: options.redisUrl ?? env.redisPrefix.url,
    keyPrefix: env.redisPrefix.prefix,
  });
  const keys = options.keys ?? (await loadSigningKeys({}));
  const clock = { now: new Date() };
  const app = await buildApp({
    kit,
    pool,
    redis,
    keys,
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTokenTtlSeconds: 900,
    refreshTokenTtlSeconds: 3600,
    loginLimits: {
      maxFailuresPerUsername: 50,
      maxFailuresPerIp: 500,
      windowSeconds: 60,
      ...options.loginLimits,
    },
    now: () => clock.now,
    ...options.overrides,
  });
  options.beforeReady?.(app);
  await app.ready();
  let url = '';
  if (options.listen) {
    await kit.listen(app.server, 0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  } else {
    kit.markStarted();
  }
  // Readiness reports Redis down until the client connects; tests start from a connected app.
  if (!options.redisUrl) await waitForRedisReady(redis);
  return { app, kit, pool, redis, keys, clock, url, close: () => kit.shutdown('test finished') };
}

/** The app a test file shares, plus the environment it runs on. */
export type UserSuite = RunningUserApp & { env: UserTestEnv };

/** Per-file setup: environment and app in `beforeAll`, closed and dropped in `afterAll`. */
export function useUserApp(label: string, options: StartOptions = {}): UserSuite {
  return useTestApp(
    () => createUserTestEnv(label),
    (env) => startUserApp(env, options),
  );
}

let counter = 0;
/** A unique, valid registration body. */
export function newUser(overrides: Partial<{ username: string; email: string; password: string }> = {}) {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  return {
    username: `user_${tag}`,
    email: `user_${tag}@example.com`,
    password: 'correct horse battery staple',
    ...overrides,
  };
}

/** Registers and logs in; returns the user and the token pair. */
export async function registerAndLogin(app: FastifyInstance, overrides: Parameters<typeof newUser>[0] = {}) {
  const body = newUser(overrides);
  const reg = await app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
  if (reg.statusCode !== 201) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`);
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/users/login',
    payload: { username: body.username, password: body.password },
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  return { body, user: reg.json(), tokens: login.json() as { access_token: string; refresh_token: string } };
}
