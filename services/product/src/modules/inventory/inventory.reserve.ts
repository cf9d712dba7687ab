// The reservation of an order as ONE statement (one round trip, no BEGIN/COMMIT): it locks the
// product rows in id order, checks every line, and — only when all lines can be served — claims the
// order id, takes the stock and records the lines with their prices and the total. A single
// statement is atomic, so the reservation is all-or-nothing; the product rows stay locked only while
// the statement runs and commits on the server, never across a round trip to the service.
import type pg from 'pg';
import { type ReservationRow, toReservation } from './inventory.queries.js';
import type { RequestedLine, Reservation, ReservationStatus } from './inventory.repository.js';

/** A product row as the reservation saw it, under its lock (what a rejection is decided from). */
export interface LockedProduct {
  id: string;
  price_amount: string;
  currency: string;
  stock: number;
  status: string;
}

interface ReserveRow
  extends Omit<ReservationRow, 'order_id' | 'status' | 'expires_at' | 'created_at' | 'updated_at'> {
  ok: boolean;
  products: LockedProduct[] | null;
  order_id: string | null;
  status: ReservationStatus | null;
  expires_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
}

export type ReserveResult =
  | { claimed: true; reservation: Reservation }
  /** Nothing written: the order id had a reservation already, or a line cannot be served. */
  | { claimed: false; ok: boolean; products: LockedProduct[] };

// $1 order id, $2 expires at, $3 product ids (sorted, distinct), $4 quantities.
// - `locked`: row locks in id order (concurrent reservations of overlapping products queue instead
//   of deadlocking); skipped entirely when the order already has a committed reservation (a replay).
//   Under READ COMMITTED a row that was changed while this statement waited for its lock is re-read
//   in its newest version, so `ok` is decided on the current stock.
// - `claim` inserts the head only when every line is active, known, in stock and of one currency;
//   a concurrent duplicate of the order id waits on the primary key and then does nothing.
// - `taken` / `lines` run only when the claim succeeded; the decrement is unconditional there (the
//   rows are locked and checked), so the CHECK (stock >= 0) fails the whole statement if anything
//   ever disagreed — never a partial reservation, never an oversell.
const RESERVE_SQL = `
WITH req AS (
  SELECT id, quantity FROM unnest($3::bigint[], $4::integer[]) AS v(id, quantity)
), locked AS (
  SELECT id, price_amount, currency, stock, status, sku, name FROM catalog.products
   WHERE id = ANY($3::bigint[]) AND deleted_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM catalog.reservations WHERE order_id = $1)
   ORDER BY id FOR UPDATE
), priced AS (
  SELECT l.id, r.quantity, l.price_amount, l.currency, l.sku, l.name
    FROM req r JOIN locked l ON l.id = r.id
   WHERE l.status = 'active' AND l.stock >= r.quantity
), verdict AS (
  SELECT (SELECT count(*) FROM priced) = cardinality($3::bigint[])
     AND (SELECT count(DISTINCT currency) FROM locked) <= 1 AS ok
), claim AS (
  INSERT INTO catalog.reservations (order_id, status, currency, total_amount, expires_at)
  SELECT $1, 'RESERVED', min(currency), sum(price_amount * quantity), $2 FROM priced
  HAVING (SELECT ok FROM verdict)
  ON CONFLICT (order_id) DO NOTHING
  RETURNING order_id, status, currency, total_amount, expires_at, created_at, updated_at
), taken AS (
  UPDATE catalog.products p SET stock = p.stock - r.quantity, version = p.version + 1, updated_at = now()
    FROM priced r WHERE p.id = r.id AND EXISTS (SELECT 1 FROM claim)
  RETURNING p.id
), recorded AS (
  INSERT INTO catalog.reservation_items (order_id, product_id, quantity, unit_price, currency)
  SELECT $1, r.id, r.quantity, r.price_amount, r.currency FROM priced r WHERE EXISTS (SELECT 1 FROM claim)
)
SELECT (SELECT ok FROM verdict) AS ok,
       (SELECT json_agg(json_build_object('id', id, 'price_amount', price_amount, 'currency', currency,
                                          'stock', stock, 'status', status) ORDER BY id) FROM locked) AS products,
       (SELECT json_agg(json_build_object('product_id', id, 'sku', sku, 'name', name, 'quantity', quantity,
                                          'unit_price', price_amount, 'currency', currency) ORDER BY id)
          FROM priced) AS lines,
       c.order_id, c.status, c.currency, c.total_amount, c.expires_at, c.created_at, c.updated_at
  FROM (SELECT 1) AS one LEFT JOIN claim c ON true`;

/** Reserves `lines` (sorted by product id, one line per product) for `orderId` in one statement. */
export async function reserveLines(
  db: Pick<pg.Pool, 'query'>,
  orderId: string,
  lines: RequestedLine[],
  expiresAt: Date,
): Promise<ReserveResult> {
  const { rows } = await db.query<ReserveRow>({
    name: 'inventory_reserve',
    text: RESERVE_SQL,
    values: [orderId, expiresAt, lines.map((l) => l.productId), lines.map((l) => l.quantity)],
  });
  const row = rows[0]!;
  if (row.order_id === null) return { claimed: false, ok: row.ok, products: row.products ?? [] };
  return { claimed: true, reservation: toReservation(row as ReservationRow) };
}
