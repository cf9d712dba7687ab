import type { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createTestRedisPrefix, type TestRedisPrefix } from './redis.js';

/** One test file's own database and Redis key prefix; `teardown()` removes both, nothing else. */
export interface TestEnvironment {
  db: TestDatabase;
  redisPrefix: TestRedisPrefix;
  teardown(): Promise<void>;
}

export interface TestEnvironmentOptions {
  /** Prepares the new database, e.g. `(url) => runMigrations({ connectionString: url, schema, dir })`. */
  migrate?: (databaseUrl: string) => Promise<unknown>;
}

/**
 * Creates a throwaway database (migrated by `migrate`) and a Redis key prefix for one test file.
 * A failing migration drops the database again before the error propagates.
 */
export async function createTestEnvironment(
  label: string,
  options: TestEnvironmentOptions = {},
): Promise<TestEnvironment> {
  const db = await createTestDatabase(label);
  try {
    await options.migrate?.(db.url);
  } catch (err) {
    await db.drop();
    throw err;
  }
  const redisPrefix = createTestRedisPrefix(label);
  return {
    db,
    redisPrefix,
    async teardown() {
      await redisPrefix.cleanup();
      await db.drop();
    },
  };
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
