// The SQL steps the inventory repository composes into its transactions: reading a reservation,
// returning stock, and the steps of a reservation (claim the order id, lock, check, take the stock).
import type pg from 'pg';
import type { Rejection, RequestedLine, Reservation, ReservationStatus } from './inventory.repository.js';

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  currency: string;
  total_amount: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

interface LineRow {
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price: string;
  currency: string;
}

interface LockedProduct {
  id: string;
  price_amount: string;
  currency: string;
  stock: number;
  status: string;
}

export async function loadReservation(
  client: pg.Pool | pg.PoolClient,
  orderId: string,
): Promise<Reservation | undefined> {
  const head = await client.query<ReservationRow>(
    `SELECT order_id, status, currency, total_amount, expires_at, created_at, updated_at
     FROM catalog.reservations WHERE order_id = $1`,
    [orderId],
  );
  const row = head.rows[0];
  if (!row) return undefined;
  const lines = await client.query<LineRow>(
    `SELECT ri.product_id, p.sku, p.name, ri.quantity, ri.unit_price, ri.currency
     FROM catalog.reservation_items ri JOIN catalog.products p ON p.id = ri.product_id
     WHERE ri.order_id = $1 ORDER BY ri.product_id`,
    [orderId],
  );
  return {
    order_id: row.order_id,
    status: row.status,
    currency: row.currency,
    total_amount: Number(row.total_amount),
    expires_at: row.expires_at.toISOString(),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    items: lines.rows.map((l) => ({
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

/** Gives the stock of these reservations back, locking product rows in id order. */
export async function restock(client: pg.PoolClient, orderIds: string[]): Promise<number[]> {
  const locked = await client.query<{ id: string }>(
    `SELECT id FROM catalog.products
     WHERE id IN (SELECT product_id FROM catalog.reservation_items WHERE order_id = ANY($1::text[]))
     ORDER BY id FOR UPDATE`,
    [orderIds],
  );
  await client.query(
    `UPDATE catalog.products p SET stock = p.stock + r.quantity, version = p.version + 1, updated_at = now()
     FROM (SELECT product_id, sum(quantity)::integer AS quantity FROM catalog.reservation_items
           WHERE order_id = ANY($1::text[]) GROUP BY product_id) r
     WHERE p.id = r.product_id`,
    [orderIds],
  );
  return locked.rows.map((r) => Number(r.id));
}

/** Inserts the reservation head; false when the order id already has one (the caller replays it). */
export async function claimOrder(client: pg.PoolClient, orderId: string, expiresAt: Date): Promise<boolean> {
  const claimed = await client.query(
    `INSERT INTO catalog.reservations (order_id, status, currency, total_amount, expires_at)
     VALUES ($1, 'RESERVED', 'XXX', 0, $2) ON CONFLICT (order_id) DO NOTHING`,
    [orderId, expiresAt],
  );
  return claimed.rowCount !== 0;
}

/** Row locks in id order: concurrent reservations of overlapping products queue instead of deadlocking. */
export async function lockProducts(client: pg.PoolClient, lines: RequestedLine[]): Promise<LockedProduct[]> {
  const products = await client.query<LockedProduct>(
    `SELECT id, price_amount, currency, stock, status FROM catalog.products
     WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL ORDER BY id FOR UPDATE`,
    [lines.map((l) => l.productId)],
  );
  return products.rows;
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

/** Takes the stock of the (locked, checked) lines and records them with their prices and the total. */
export async function takeStock(
  client: pg.PoolClient,
  orderId: string,
  lines: RequestedLine[],
): Promise<void> {
  const ids = lines.map((l) => l.productId);
  const quantities = lines.map((l) => l.quantity);
  // The WHERE clause and the CHECK (stock >= 0) are the last line of defence against overselling.
  const taken = await client.query(
    `UPDATE catalog.products p SET stock = p.stock - v.quantity, version = p.version + 1, updated_at = now()
     FROM unnest($1::bigint[], $2::integer[]) AS v(id, quantity)
     WHERE p.id = v.id AND p.stock >= v.quantity`,
    [ids, quantities],
  );
  if (taken.rowCount !== lines.length) throw new Error('stock changed under a row lock');
  await client.query(
    `INSERT INTO catalog.reservation_items (order_id, product_id, quantity, unit_price, currency)
     SELECT $1, v.id, v.quantity, p.price_amount, p.currency
     FROM unnest($2::bigint[], $3::integer[]) AS v(id, quantity) JOIN catalog.products p ON p.id = v.id`,
    [orderId, ids, quantities],
  );
  await client.query(
    `UPDATE catalog.reservations r SET currency = t.currency, total_amount = t.total
     FROM (SELECT min(currency) AS currency, sum(unit_price * quantity) AS total
           FROM catalog.reservation_items WHERE order_id = $1) t
     WHERE r.order_id = $1`,
    [orderId],
  );
}
