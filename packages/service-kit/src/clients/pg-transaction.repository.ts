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

// Statements a transaction's work handed over to travel with its COMMIT, per open transaction.
const beforeCommit = new WeakMap<object, string[]>();

/**
 * Marks `client` as inside a transaction that will end through `commitTransaction` (or
 * `rollbackTransaction`), so `deferUntilCommit` can hold statements for its COMMIT.
 */
export function transactionOpened(client: Db): void {
  beforeCommit.set(client, []);
}

/**
 * Inside a transaction opened by `withTransaction` (or another helper that ends it with
 * `commitTransaction`): `sql` — one complete statement with its values written in as literals
 * (`pg.escapeLiteral`), no parameters — is sent in the same simple-protocol query as the COMMIT, one
 * round trip fewer. It runs inside the transaction, after everything `work` did; if it fails the
 * transaction rolls back and the commit rejects. Returns false when `db` is not in such a
 * transaction (a pool, or a client outside one): the caller then runs the statement itself.
 */
export function deferUntilCommit(db: Db, sql: string): boolean {
  const pending = beforeCommit.get(db);
  if (!pending) return false;
  pending.push(sql);
  return true;
}

/** COMMIT, preceded in the same round trip by the statements deferred until it. */
export async function commitTransaction(client: Pick<pg.PoolClient, 'query'>): Promise<void> {
  const pending = beforeCommit.get(client) ?? [];
  beforeCommit.delete(client);
  await client.query(pending.length === 0 ? 'COMMIT' : `${pending.join(';\n')};\nCOMMIT`);
}

/** ROLLBACK (errors ignored: the connection may be gone); deferred statements are dropped. */
export async function rollbackTransaction(client: Pick<pg.PoolClient, 'query'>): Promise<void> {
  beforeCommit.delete(client);
  await client.query('ROLLBACK').catch(() => {});
}

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
        transactionOpened(client);
        try {
          const result = await work(client);
          await commitTransaction(client);
          return result;
        } catch (err) {
          await rollbackTransaction(client);
          throw err;
        }
      });
    } catch (err) {
      if (attempt < retries && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    }
  }
}
