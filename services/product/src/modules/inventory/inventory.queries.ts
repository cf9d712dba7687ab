// The SQL steps the inventory repository composes into its transactions: reading a reservation,
// returning stock, and why a reservation is rejected (the reservation itself: inventory.reserve.ts).
import type pg from 'pg';
import type { Rejection, RequestedLine, Reservation, ReservationStatus } from './inventory.repository.js';
import type { LockedProduct } from './inventory.reserve.js';

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

export async function loadReservation(
  client: pg.Pool | pg.PoolClient,
  orderId: string,
): Promise<Reservation | undefined> {
  const head = await client.query<ReservationRow>({
    name: 'inventory_reservation_head',
    text: `SELECT order_id, status, currency, total_amount, expires_at, created_at, updated_at
     FROM catalog.reservations WHERE order_id = $1`,
    values: [orderId],
  });
  const row = head.rows[0];
  if (!row) return undefined;
  const lines = await client.query<LineRow>({
    name: 'inventory_reservation_lines',
    text: `SELECT ri.product_id, p.sku, p.name, ri.quantity, ri.unit_price, ri.currency
     FROM catalog.reservation_items ri JOIN catalog.products p ON p.id = ri.product_id
     WHERE ri.order_id = $1 ORDER BY ri.product_id`,
    values: [orderId],
  });
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
