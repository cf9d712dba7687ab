// The statements of the checkout that write or read an order together with its lines: each is ONE
// statement (atomic by itself, so no BEGIN/COMMIT round trips) and named, so PostgreSQL parses and
// plans it once per connection (PgBouncer keeps them with max_prepared_statements).
import type { Db } from '@shop/service-kit';
import type { NewOrder, OrderItemRow, OrderRow, OrderStatus, PricedLine } from './orders.repository.js';

export const O = `id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at`;

// The order and its lines in one statement (atomic by itself: one round trip, no BEGIN/COMMIT);
// no lines are written when the (user, idempotency key) pair already has an order.
const INSERT_PENDING = `
WITH placed AS (
  INSERT INTO orders.orders (id, user_id, status, payment_method, idempotency_key, request_hash, expires_at)
  VALUES ($1, $2, 'PENDING', $3, $4, $5, $6)
  ON CONFLICT (user_id, idempotency_key) DO NOTHING
  RETURNING ${O}
), lines AS (
  INSERT INTO orders.order_items (order_id, product_id, quantity)
  SELECT placed.id, p, q FROM placed, unnest($7::bigint[], $8::int[]) AS t(p, q)
)
SELECT * FROM placed`;

export async function insertPending(db: Db, o: NewOrder): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>({
    name: 'orders_insert_pending',
    text: INSERT_PENDING,
    values: [
      o.id,
      o.userId,
      o.paymentMethod,
      o.idempotencyKey,
      o.requestHash,
      o.expiresAt,
      o.items.map((i) => i.product_id),
      o.items.map((i) => i.quantity),
    ],
  });
  return rows[0];
}

// PENDING → AWAITING_PAYMENT with the reserved prices of every line, in one statement; the lines
// change only when the order did.
const MARK_PRICED = `
WITH priced AS (
  UPDATE orders.orders SET status = 'AWAITING_PAYMENT', total_amount = $2, currency = $3, updated_at = now()
   WHERE id = $1 AND status = 'PENDING'
  RETURNING ${O}
), lines AS (
  UPDATE orders.order_items i
     SET unit_price = v.unit_price, line_total = v.line_total, name = v.name, sku = v.sku, quantity = v.quantity
    FROM unnest($4::bigint[], $5::int[], $6::bigint[], $7::bigint[], $8::text[], $9::text[])
         AS v(product_id, quantity, unit_price, line_total, name, sku)
   WHERE i.order_id = $1 AND i.product_id = v.product_id AND EXISTS (SELECT 1 FROM priced)
)
SELECT * FROM priced`;

export async function markPriced(
  db: Db,
  id: string,
  lines: PricedLine[],
  total: number,
  currency: string,
): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>({
    name: 'orders_mark_priced',
    text: MARK_PRICED,
    values: [
      id,
      total,
      currency,
      lines.map((l) => l.product_id),
      lines.map((l) => l.quantity),
      lines.map((l) => l.unit_price),
      lines.map((l) => l.line_total),
      lines.map((l) => l.name),
      lines.map((l) => l.sku),
    ],
  });
  return rows[0];
}

// The lines of order `o` as a JSON array, as text like the plain read returns them (bigint columns
// arrive as strings from pg).
const ITEMS_OF_O = `(SELECT coalesce(json_agg(json_build_object(
            'order_id', i.order_id, 'product_id', i.product_id::text, 'quantity', i.quantity,
            'unit_price', i.unit_price::text, 'line_total', i.line_total::text, 'name', i.name, 'sku', i.sku)
            ORDER BY i.product_id), '[]'::json)
      FROM orders.order_items i WHERE i.order_id = o.id) AS items`;

type RowWithItems = OrderRow & { items: OrderItemRow[] };

export async function findWithItems(
  db: Db,
  id: string,
): Promise<{ row: OrderRow; items: OrderItemRow[] } | undefined> {
  const { rows } = await db.query<RowWithItems>({
    name: 'orders_with_items',
    text: `SELECT ${O}, ${ITEMS_OF_O} FROM orders.orders o WHERE o.id = $1`,
    values: [id],
  });
  return withItems(rows);
}

const withItems = (rows: RowWithItems[]) => {
  if (!rows[0]) return undefined;
  const { items, ...row } = rows[0];
  return { row, items };
};

// The payment id, returning the order with its lines: the checkout's answer without another read.
const SET_PAYMENT_ID = `
WITH o AS (
  UPDATE orders.orders SET payment_id = $2, updated_at = now() WHERE id = $1 AND payment_id IS NULL
  RETURNING ${O}
)
SELECT ${O}, ${ITEMS_OF_O} FROM o`;

export async function setPaymentId(db: Db, id: string, paymentId: string) {
  const { rows } = await db.query<RowWithItems>({
    name: 'orders_set_payment_id',
    text: SET_PAYMENT_ID,
    values: [id, paymentId],
  });
  return withItems(rows);
}

// A conditional state change that returns the order with its lines (what its event names) in one
// round trip: the lines do not change once the order left PENDING.
const TRANSITION = `
WITH o AS (
  UPDATE orders.orders
     SET status = $3,
         payment_id = COALESCE($4, payment_id),
         failure_reason = COALESCE($5, failure_reason),
         paid_at = CASE WHEN $3 = 'PAID' THEN now() ELSE paid_at END,
         cancelled_at = CASE WHEN $3 IN ('CANCELLED', 'REFUNDED', 'EXPIRED') THEN now() ELSE cancelled_at END,
         updated_at = now()
   WHERE id = $1 AND status = ANY($2::text[])
  RETURNING ${O}
)
SELECT ${O}, ${ITEMS_OF_O} FROM o`;

export async function transition(
  db: Db,
  id: string,
  from: OrderStatus[],
  to: OrderStatus,
  extra: { paymentId?: string; failureReason?: string } = {},
): Promise<RowWithItems | undefined> {
  const { rows } = await db.query<RowWithItems>({
    name: 'orders_transition',
    text: TRANSITION,
    values: [id, from, to, extra.paymentId ?? null, extra.failureReason ?? null],
  });
  return rows[0];
}
