import type pg from 'pg';

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

/** Runs `work` in one transaction on a dedicated client: COMMIT on success, ROLLBACK on any error. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 0;
  for (let attempt = 0; ; attempt += 1) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if (attempt < retries && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    } finally {
      client.release();
    }
  }
}
