import type pg from 'pg';
import { dependencyFailureOf } from '../resilience/dependency-errors.js';
import { guardPgClient } from './pg-pool.js';

/** A pool or a client inside a transaction; repositories that may join a transaction accept either. */
export type Db = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface TransactionOptions {
  /**
   * How often to run `work` again after PostgreSQL aborted the transaction with a deadlock (40P01) or
   * a serialization failure (40001); those aborts are safe to retry because nothing was committed.
   * Default 0: `work` must be free of side effects outside the transaction to be retried.
   */
  retries?: number;
}

const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `work` on one pooled client that is guarded while checked out (a server-side disconnect
 * fails the current query instead of crashing the process) and released afterwards — destroyed
 * rather than reused when its connection failed.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  guardPgClient(client);
  let failure: Error | undefined;
  try {
    return await work(client);
  } catch (err) {
    if (dependencyFailureOf(err)) failure = err as Error;
    throw err;
  } finally {
    client.release(failure);
  }
}

/**
 * Runs `work` in one transaction on a dedicated client: COMMIT on success, ROLLBACK on any error.
 * A lost connection surfaces as the failing query's error (mapped to 503 by the adapters); the
 * broken client is discarded, never returned to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 0;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await withClient(pool, async (client) => {
        await client.query('BEGIN');
        try {
          const result = await work(client);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      });
    } catch (err) {
      if (attempt < retries && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    }
  }
}
