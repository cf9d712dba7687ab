import { bootstrapService, type ServiceKit } from '@shop/service-kit';
import { runMigrations } from '@shop/service-kit/migrate';
import {
  createTestEnvironment,
  listenOnLoopback,
  type TestEnvironment,
  waitForRedisReady,
} from '@shop/testing';
import { useTestApp } from '@shop/testing/vitest';
import type { FastifyInstance } from 'fastify';
import { type ComposedUserService, composeUserService } from '../src/compose.js';
import { DB_SCHEMA, userConfigSchema } from '../src/config.js';
import type { LoginLimits } from '../src/modules/auth/login-limiter.js';
import type { PasswordHasher } from '../src/modules/auth/password-hasher.js';
import type { SigningKeys } from '../src/modules/auth/signing-keys.js';

export const MIGRATIONS = new URL('../migrations', import.meta.url);
export const ISSUER = 'shop-user-service';
export const AUDIENCE = 'shop';

/** One database (schema DB_SCHEMA migrated) and one Redis prefix per test file; `teardown()` drops both. */
export type UserTestEnv = TestEnvironment;

export function createUserTestEnv(label: string): Promise<UserTestEnv> {
  return createTestEnvironment(label, {
    migrate: (url) => runMigrations({ connectionString: url, schema: DB_SCHEMA, dir: MIGRATIONS }),
  });
}

const TEST_VERSION = '0.0.0-test';

export interface RunningUserApp extends ComposedUserService {
  kit: ServiceKit;
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
  /** Signing keys to run with (passed as JWT_PRIVATE_KEY / JWT_KEY_ID / JWT_PUBLIC_KEYS). */
  keys?: SigningKeys;
  listen?: boolean;
  overrides?: { passwords?: PasswordHasher; refreshCookieSecure?: boolean };
  /** Runs on the built app before `ready()`, e.g. to add a probe route a test needs. */
  beforeReady?: (app: FastifyInstance) => void;
}

/** The environment keys of `keys`, so the service loads exactly that key set. */
function signingKeysEnv(keys: SigningKeys): Record<string, string> {
  return {
    JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_KEY_ID: keys.kid,
    JWT_PUBLIC_KEYS: JSON.stringify({ keys: keys.jwks.keys.filter((key) => key.kid !== keys.kid) }),
  };
}

/** The user service's environment on a test environment: the keys main.ts parses. */
function userServiceEnv(env: UserTestEnv, options: StartOptions): Record<string, string> {
  const limits = {
    maxFailuresPerUsername: 50,
    maxFailuresPerIp: 500,
    windowSeconds: 60,
    ...options.loginLimits,
  };
  const secure = options.overrides?.refreshCookieSecure;
  return env.serviceEnv({
    DB_POOL_SIZE: '5',
    GRPC_PORT: '0',
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    ACCESS_TOKEN_TTL_SECONDS: '900',
    REFRESH_TOKEN_TTL_SECONDS: '3600',
    LOGIN_MAX_FAILURES_PER_USERNAME: String(limits.maxFailuresPerUsername),
    LOGIN_MAX_FAILURES_PER_IP: String(limits.maxFailuresPerIp),
    LOGIN_FAILURE_WINDOW_SECONDS: String(limits.windowSeconds),
    ...(secure === undefined ? {} : { REFRESH_COOKIE_SECURE: String(secure) }),
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.keys ? signingKeysEnv(options.keys) : {}),
  });
}

/**
 * The service main.ts runs (same config parse and composition) against the test's database and Redis
 * prefix, without workers (GRPC_PORT=0); the clock is mutable.
 */
export async function startUserApp(env: UserTestEnv, options: StartOptions = {}): Promise<RunningUserApp> {
  const service = bootstrapService({
    name: 'user',
    version: TEST_VERSION,
    configSchema: userConfigSchema,
    env: userServiceEnv(env, options),
    inProcess: true,
  });
  const { kit } = service;
  const clock = { now: new Date() };
  const composed = await composeUserService(service, TEST_VERSION, {
    now: () => clock.now,
    ...(options.overrides?.passwords ? { passwords: options.overrides.passwords } : {}),
  });
  options.beforeReady?.(composed.app);
  let url = '';
  let close = () => kit.shutdown('test finished');
  if (options.listen) {
    ({ url, close } = await listenOnLoopback(kit, composed.server));
  } else {
    await composed.app.ready();
    kit.markStarted();
  }
  // Readiness reports Redis down until the client connects; tests start from a connected app.
  if (!options.redisUrl) await waitForRedisReady(composed.redis);
  return { ...composed, kit, clock, url, close };
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
