import { commitTransaction, rollbackTransaction, transactionOpened, withClient } from '@shop/service-kit';
import type pg from 'pg';

/**
 * One transaction on a pooled connection whose first round trip both opens it and does its first
 * piece of work: `begin` sends `BEGIN; <statement>` as one simple-protocol query (see the outbox
 * claim and the dedup claim in events.repository.ts), `work` gets what it returned; then COMMIT, or
 * ROLLBACK on any error (also when `begin` itself failed after BEGIN ran), so the connection never
 * goes back to the pool inside a transaction. One round trip fewer than `withTransaction`.
 */
export function withTransactionBegunBy<B, T>(
  pool: pg.Pool,
  begin: (client: pg.PoolClient) => Promise<B>,
  work: (client: pg.PoolClient, begun: B) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client) => {
    transactionOpened(client);
    try {
      const result = await work(client, await begin(client));
      // Outbox rows `work` wrote travel with the COMMIT (`deferUntilCommit`).
      await commitTransaction(client);
      return result;
    } catch (err) {
      await rollbackTransaction(client);
      throw err;
    }
  });
}
