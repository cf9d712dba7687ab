// The SQL steps the inventory repository composes into its transactions: reading a reservation,
// returning stock, and why a reservation is rejected (the reservation itself: inventory.reserve.ts).
import type pg from 'pg';
import type { Rejection, RequestedLine, Reservation, ReservationStatus } from './inventory.repository.js';
import type { LockedProduct } from './inventory.reserve.js';

/** A reservation head with its lines (as JSON) — what every read of a reservation returns. */
export interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  currency: string;
  total_amount: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  lines: Array<{
    product_id: number | string;
    sku: string;
    name: string;
    quantity: number;
    unit_price: number | string;
    currency: string;
  }> | null;
}

export function toReservation(row: ReservationRow): Reservation {
  return {
    order_id: row.order_id,
    status: row.status,
    currency: row.currency,
    total_amount: Number(row.total_amount),
    expires_at: row.expires_at.toISOString(),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    items: (row.lines ?? []).map((l) => ({
      product_id: Number(l.product_id),
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      unit_price: Number(l.unit_price),
      currency: l.currency,
      line_total: Number(l.unit_price) * l.quantity,
    })),
  };
}

/** The lines of reservation `r` as a JSON array, by product id (a column of the statements below). */
const LINES_OF_R = `(SELECT json_agg(json_build_object('product_id', ri.product_id, 'sku', p.sku, 'name', p.name,
          'quantity', ri.quantity, 'unit_price', ri.unit_price, 'currency', ri.currency) ORDER BY ri.product_id)
     FROM catalog.reservation_items ri JOIN catalog.products p ON p.id = ri.product_id
    WHERE ri.order_id = r.order_id) AS lines`;

const HEAD_OF_R =
  'r.order_id, r.status, r.currency, r.total_amount, r.expires_at, r.created_at, r.updated_at';

/** A reservation with its lines in one round trip. */
export async function loadReservation(
  client: pg.Pool | pg.PoolClient,
  orderId: string,
): Promise<Reservation | undefined> {
  const { rows } = await client.query<ReservationRow>({
    name: 'inventory_reservation',
    text: `SELECT ${HEAD_OF_R}, ${LINES_OF_R} FROM catalog.reservations r WHERE r.order_id = $1`,
    values: [orderId],
  });
  return rows[0] && toReservation(rows[0]);
}

/** Locks a reservation row for a state change; undefined when the order has none. */
export async function lockReservation(
  client: pg.PoolClient,
  orderId: string,
): Promise<{ status: ReservationStatus; expires_at: Date } | undefined> {
  const { rows } = await client.query<{ status: ReservationStatus; expires_at: Date }>({
    name: 'inventory_lock_reservation',
    text: 'SELECT status, expires_at FROM catalog.reservations WHERE order_id = $1 FOR UPDATE',
    values: [orderId],
  });
  return rows[0];
}

/**
 * `UPDATE … SET status = <status> WHERE order_id = $1 <condition>` returning the reservation with its
 * lines, in one round trip; undefined when no row matched.
 */
async function updateStatus(
  client: pg.Pool | pg.PoolClient,
  name: string,
  sql: { status: string; condition: string },
  values: unknown[],
): Promise<Reservation | undefined> {
  const { rows } = await client.query<ReservationRow>({
    name,
    text: `WITH r AS (
             UPDATE catalog.reservations SET status = ${sql.status}, updated_at = now()
              WHERE order_id = $1${sql.condition}
             RETURNING order_id, status, currency, total_amount, expires_at, created_at, updated_at)
           SELECT ${HEAD_OF_R}, ${LINES_OF_R} FROM r`,
    values,
  });
  return rows[0] && toReservation(rows[0]);
}

/** Records the new state of a (locked) reservation and returns it with its lines, in one round trip. */
export async function setStatus(
  client: pg.PoolClient,
  orderId: string,
  status: ReservationStatus,
): Promise<Reservation> {
  const set = { status: '$2', condition: '' };
  return (await updateStatus(client, 'inventory_set_status', set, [orderId, status]))!;
}

/**
 * RESERVED → COMMITTED in one statement (no BEGIN, lock and COMMIT round trips) when the reservation
 * is RESERVED and not expired at `now`; undefined otherwise (missing, in another state, or due: the
 * caller's locked transition decides those). Under READ COMMITTED a concurrent change of the row is
 * waited for and the condition re-checked on its newest version.
 */
export function commitIfReserved(
  client: pg.Pool | pg.PoolClient,
  orderId: string,
  now: Date,
): Promise<Reservation | undefined> {
  const set = { status: "'COMMITTED'", condition: " AND status = 'RESERVED' AND expires_at > $2" };
  return updateStatus(client, 'inventory_commit_if_reserved', set, [orderId, now]);
}

/**
 * Gives the stock of these reservations back in one statement, locking the product rows in id order
 * first (as the reservation does), so concurrent movements of overlapping products queue.
 */
export async function restock(client: pg.PoolClient, orderIds: string[]): Promise<number[]> {
  const { rows } = await client.query<{ id: string }>({
    name: 'inventory_restock',
    text: `WITH back AS (
             SELECT product_id, sum(quantity)::integer AS quantity FROM catalog.reservation_items
              WHERE order_id = ANY($1::text[]) GROUP BY product_id
           ), locked AS (
             SELECT id FROM catalog.products WHERE id IN (SELECT product_id FROM back) ORDER BY id FOR UPDATE
           )
           UPDATE catalog.products p SET stock = p.stock + b.quantity, version = p.version + 1, updated_at = now()
             FROM back b JOIN locked l ON l.id = b.product_id
            WHERE p.id = b.product_id
           RETURNING p.id`,
    values: [orderIds],
  });
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** Why `lines` cannot be reserved from the locked `products`, or undefined when they can. */
export function rejectionOf(lines: RequestedLine[], products: LockedProduct[]): Rejection | undefined {
  const byId = new Map(products.map((p) => [Number(p.id), p]));
  const rejection: Rejection = { unknown: [], inactive: [], insufficient: [], currencies: [] };
  for (const line of lines) {
    const product = byId.get(line.productId);
    if (!product) rejection.unknown.push(line.productId);
    else if (product.status !== 'active') rejection.inactive.push(line.productId);
    else if (product.stock < line.quantity) {
      rejection.insufficient.push({
        productId: line.productId,
        requested: line.quantity,
        available: product.stock,
      });
    }
  }
  const currencies = [...new Set(products.map((p) => p.currency))];
  if (currencies.length > 1) rejection.currencies = currencies;
  const rejected =
    rejection.unknown.length ||
    rejection.inactive.length ||
    rejection.insufficient.length ||
    rejection.currencies.length;
  return rejected ? rejection : undefined;
}
