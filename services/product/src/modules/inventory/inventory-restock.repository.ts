// Stock back for a reservation that was already committed (the order was paid and then refunded).
// Owned by the order/payment work until the inventory service offers `restock` itself.
import type pg from 'pg';

/**
 * COMMITTED → RELEASED with the sold quantities returned to stock, in one transaction. Idempotent:
 * any other status (already released, never committed) changes nothing. Returns the product ids
 * whose stock changed, so the caller can invalidate their cache entries.
 */
export async function restockCommitted(pool: pg.Pool, orderId: string): Promise<number[] | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ status: string }>(
      'SELECT status FROM catalog.reservations WHERE order_id = $1 FOR UPDATE',
      [orderId],
    );
    if (locked.rows[0]?.status !== 'COMMITTED') {
      await client.query('COMMIT');
      return undefined;
    }
    // Product rows locked in id order, like every other stock change, so they cannot deadlock.
    await client.query(
      `SELECT id FROM catalog.products
        WHERE id IN (SELECT product_id FROM catalog.reservation_items WHERE order_id = $1)
        ORDER BY id FOR UPDATE`,
      [orderId],
    );
    const restocked = await client.query<{ id: string }>(
      `UPDATE catalog.products p SET stock = p.stock + r.quantity, version = p.version + 1, updated_at = now()
         FROM catalog.reservation_items r
        WHERE r.order_id = $1 AND p.id = r.product_id
        RETURNING p.id`,
      [orderId],
    );
    await client.query(
      `UPDATE catalog.reservations SET status = 'RELEASED', updated_at = now() WHERE order_id = $1`,
      [orderId],
    );
    await client.query('COMMIT');
    return restocked.rows.map((r) => Number(r.id));
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
