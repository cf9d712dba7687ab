import type { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createTestRedisPrefix, type TestRedisPrefix } from './redis.js';
import { createTestTokenIssuer, type TestTokenIssuer, type TestTokenIssuerOptions } from './token-issuer.js';

/** One test file's own database and Redis key prefix; `teardown()` removes both, nothing else. */
export interface TestEnvironment {
  db: TestDatabase;
  redisPrefix: TestRedisPrefix;
  /**
   * The environment variables that point a service at this database and prefix (`DATABASE_URL`,
   * `REDIS_URL`, `REDIS_KEY_PREFIX`, `NODE_ENV=test`, `LOG_LEVEL` = `TEST_LOG_LEVEL` or `silent`, and
   * `JWKS_URL`/`JWT_ISSUER`/`JWT_AUDIENCE` when the environment has a token issuer), merged with
   * `extra`: the `env` of `bootstrapService` in-process or of `startServiceProcess`.
   */
  serviceEnv(extra?: Record<string, string>): Record<string, string>;
  teardown(): Promise<void>;
}

/** A `TestEnvironment` created with `tokens`: it also stands in for the user service's JWKS. */
export interface TestEnvironmentWithTokens extends TestEnvironment {
  tokens: TestTokenIssuer;
}

export interface TestEnvironmentOptions {
  /** Prepares the new database, e.g. `(url) => runMigrations({ connectionString: url, schema, dir })`. */
  migrate?: (databaseUrl: string) => Promise<unknown>;
  /** Also start a token issuer (`createTestTokenIssuer`), closed by `teardown()`. */
  tokens?: true | TestTokenIssuerOptions;
}

/**
 * Creates a throwaway database (migrated by `migrate`) and a Redis key prefix for one test file,
 * and with `tokens` a token issuer whose JWKS the service under test verifies against.
 * A failing migration drops the database again before the error propagates.
 */
export async function createTestEnvironment(
  label: string,
  options: TestEnvironmentOptions & { tokens: true | TestTokenIssuerOptions },
): Promise<TestEnvironmentWithTokens>;
export async function createTestEnvironment(
  label: string,
  options?: TestEnvironmentOptions,
): Promise<TestEnvironment>;
export async function createTestEnvironment(
  label: string,
  options: TestEnvironmentOptions = {},
): Promise<TestEnvironment | TestEnvironmentWithTokens> {
  const db = await createTestDatabase(label);
  let tokens: TestTokenIssuer | undefined;
  try {
    await options.migrate?.(db.url);
    if (options.tokens) tokens = await createTestTokenIssuer(options.tokens === true ? {} : options.tokens);
  } catch (err) {
    await db.drop();
    throw err;
  }
  const redisPrefix = createTestRedisPrefix(label);
  const environment: TestEnvironment = {
    db,
    redisPrefix,
    serviceEnv: (extra = {}) => ({
      DATABASE_URL: db.url,
      REDIS_URL: redisPrefix.url,
      REDIS_KEY_PREFIX: redisPrefix.prefix,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...(tokens
        ? { JWKS_URL: tokens.jwksUrl, JWT_ISSUER: tokens.issuer, JWT_AUDIENCE: tokens.audience }
        : {}),
      ...extra,
    }),
    async teardown() {
      await tokens?.close();
      await redisPrefix.cleanup();
      await db.drop();
    },
  };
  return tokens ? { ...environment, tokens } : environment;
}

/**
 * Resolves once an ioredis client is connected, so readiness checks and first commands do not race
 * the connection; rejects on a connection error or after `timeoutMs`.
 */
export function waitForRedisReady(
  client: Pick<Redis, 'status' | 'once' | 'off'>,
  timeoutMs = 5_000,
): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const onError = (err: Error) => done(err);
    const timer = setTimeout(
      () => done(new Error(`Redis not ready after ${timeoutMs} ms (${client.status})`)),
      timeoutMs,
    );
    client.once('ready', onReady);
    client.once('error', onError);
  });
}
