import type { Db } from '@shop/service-kit';

export type OrderStatus =
  | 'PENDING'
  | 'AWAITING_PAYMENT'
  | 'PAID'
  | 'PAYMENT_FAILED'
  | 'CANCELLED'
  | 'EXPIRED'
  | 'REFUNDED';

export interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  currency: string | null;
  total_amount: string | null;
  payment_method: string;
  payment_id: string | null;
  idempotency_key: string | null;
  request_hash: string;
  failure_reason: string | null;
  expires_at: Date;
  paid_at: Date | null;
  cancelled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface OrderItemRow {
  order_id: string;
  product_id: string;
  quantity: number;
  unit_price: string | null;
  line_total: string | null;
  name: string | null;
  sku: string | null;
}

export interface PricedLine {
  product_id: number;
  quantity: number;
  unit_price: number;
  line_total: number;
  name: string;
  sku: string;
}

const O = `id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at`;

/** SQL of orders and order lines (schema `orders`). */
export class OrdersRepository {
  /** Inserts a PENDING order with its lines; undefined when (user, idempotency key) already exists. */
  async insertPending(
    db: Db,
    o: {
      id: string;
      userId: string;
      paymentMethod: string;
      idempotencyKey: string | null;
      requestHash: string;
      expiresAt: Date;
      items: { product_id: number; quantity: number }[];
    },
  ): Promise<OrderRow | undefined> {
    const { rows } = await db.query<OrderRow>(
      `INSERT INTO orders.orders (id, user_id, status, payment_method, idempotency_key, request_hash, expires_at)
       VALUES ($1, $2, 'PENDING', $3, $4, $5, $6)
       ON CONFLICT (user_id, idempotency_key) DO NOTHING
       RETURNING ${O}`,
      [o.id, o.userId, o.paymentMethod, o.idempotencyKey, o.requestHash, o.expiresAt],
    );
    if (!rows[0]) return undefined;
    await db.query(
      `INSERT INTO orders.order_items (order_id, product_id, quantity)
       SELECT $1, p, q FROM unnest($2::bigint[], $3::int[]) AS t(p, q)`,
      [o.id, o.items.map((i) => i.product_id), o.items.map((i) => i.quantity)],
    );
    return rows[0];
  }

  async findById(db: Db, id: string, forUpdate = false): Promise<OrderRow | undefined> {
    const { rows } = await db.query<OrderRow>(
      `SELECT ${O} FROM orders.orders WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  async findByIdempotencyKey(db: Db, userId: string, key: string): Promise<OrderRow | undefined> {
    const { rows } = await db.query<OrderRow>(
      `SELECT ${O} FROM orders.orders WHERE user_id = $1 AND idempotency_key = $2`,
      [userId, key],
    );
    return rows[0];
  }

  async items(db: Db, orderIds: string[]): Promise<OrderItemRow[]> {
    if (orderIds.length === 0) return [];
    const { rows } = await db.query<OrderItemRow>(
      `SELECT order_id, product_id, quantity, unit_price, line_total, name, sku
         FROM orders.order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, product_id`,
      [orderIds],
    );
    return rows;
  }

  /** Keyset page of a user's orders, newest first. */
  async listByUser(
    db: Db,
    userId: string,
    limit: number,
    after?: { createdAt: Date; id: string },
  ): Promise<OrderRow[]> {
    const { rows } = await db.query<OrderRow>(
      after
        ? `SELECT ${O} FROM orders.orders WHERE user_id = $1 AND (created_at, id) < ($3, $4)
            ORDER BY created_at DESC, id DESC LIMIT $2`
        : `SELECT ${O} FROM orders.orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      after ? [userId, limit, after.createdAt, after.id] : [userId, limit],
    );
    return rows;
  }

  /** Stores the reserved prices and moves PENDING → AWAITING_PAYMENT. */
  async markPriced(
    db: Db,
    id: string,
    lines: PricedLine[],
    total: number,
    currency: string,
  ): Promise<boolean> {
    const res = await db.query(
      `UPDATE orders.orders SET status = 'AWAITING_PAYMENT', total_amount = $2, currency = $3, updated_at = now()
        WHERE id = $1 AND status = 'PENDING'`,
      [id, total, currency],
    );
    if (res.rowCount !== 1) return false;
    for (const l of lines) {
      await db.query(
        `UPDATE orders.order_items SET unit_price = $3, line_total = $4, name = $5, sku = $6, quantity = $7
          WHERE order_id = $1 AND product_id = $2`,
        [id, l.product_id, l.unit_price, l.line_total, l.name, l.sku, l.quantity],
      );
    }
    return true;
  }

  async setPaymentId(db: Db, id: string, paymentId: string): Promise<void> {
    await db.query(
      'UPDATE orders.orders SET payment_id = $2, updated_at = now() WHERE id = $1 AND payment_id IS NULL',
      [id, paymentId],
    );
  }

  /** Conditional transition: only from one of `from`; returns the updated row or undefined. */
  async transition(
    db: Db,
    id: string,
    from: OrderStatus[],
    to: OrderStatus,
    extra: { paymentId?: string; failureReason?: string } = {},
  ): Promise<OrderRow | undefined> {
    const { rows } = await db.query<OrderRow>(
      `UPDATE orders.orders
          SET status = $3,
              payment_id = COALESCE($4, payment_id),
              failure_reason = COALESCE($5, failure_reason),
              paid_at = CASE WHEN $3 = 'PAID' THEN now() ELSE paid_at END,
              cancelled_at = CASE WHEN $3 IN ('CANCELLED', 'REFUNDED', 'EXPIRED') THEN now() ELSE cancelled_at END,
              updated_at = now()
        WHERE id = $1 AND status = ANY($2::text[])
        RETURNING ${O}`,
      [id, from, to, extra.paymentId ?? null, extra.failureReason ?? null],
    );
    return rows[0];
  }

  async setFailureReason(db: Db, id: string, reason: string): Promise<void> {
    await db.query('UPDATE orders.orders SET failure_reason = $2, updated_at = now() WHERE id = $1', [
      id,
      reason,
    ]);
  }

  /** Deletes an order that never reserved anything (rejected by the product service). */
  async deletePending(db: Db, id: string): Promise<void> {
    await db.query(`DELETE FROM orders.orders WHERE id = $1 AND status = 'PENDING'`, [id]);
  }

  /** Locks expired unpaid orders; SKIP LOCKED lets the sweeper run on every replica. */
  async lockExpired(db: Db, now: Date, limit: number): Promise<OrderRow[]> {
    const { rows } = await db.query<OrderRow>(
      `SELECT ${O} FROM orders.orders
        WHERE status IN ('PENDING', 'AWAITING_PAYMENT') AND expires_at <= $1
        ORDER BY expires_at LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows;
  }
}
