import { withTransaction } from '@shop/service-kit';
import type pg from 'pg';

export type ReservationStatus = 'RESERVED' | 'COMMITTED' | 'RELEASED' | 'EXPIRED' | 'RETURNED';

export interface ReservedLine {
  product_id: number;
  sku: string;
  name: string;
  quantity: number;
  unit_price: number;
  currency: string;
  line_total: number;
}

export interface Reservation {
  order_id: string;
  status: ReservationStatus;
  currency: string;
  total_amount: number;
  expires_at: string;
  created_at: string;
  updated_at: string;
  items: ReservedLine[];
}

export interface RequestedLine {
  productId: number;
  quantity: number;
}

/** Why a reservation could not be made; nothing was reserved. */
export interface Rejection {
  unknown: number[];
  inactive: number[];
  insufficient: Array<{ productId: number; requested: number; available: number }>;
  currencies: string[];
}

export type ReserveOutcome =
  | { kind: 'created'; reservation: Reservation }
  | { kind: 'existing'; reservation: Reservation }
  | { kind: 'rejected'; rejection: Rejection };

export type TransitionOutcome =
  | { kind: 'missing' }
  /** Nothing changed: the reservation was already in `reservation.status`. */
  | { kind: 'unchanged'; reservation: Reservation }
  | { kind: 'changed'; reservation: Reservation; productIds: number[] };

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

// Deadlocks cannot arise from this module's own statements (product rows are always locked in id
// order), but PostgreSQL may still abort a transaction under contention; such aborts are retried.
const inTransaction = <T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>) =>
  withTransaction(pool, work, { retries: 2 });

async function loadReservation(
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
async function restock(client: pg.PoolClient, orderIds: string[]): Promise<number[]> {
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

interface LockedReservation {
  status: ReservationStatus;
  expires_at: Date;
}

/** The next state of a locked reservation, and whether its stock goes back to the products. */
interface Step {
  status: ReservationStatus;
  restock: boolean;
}

/**
 * One state change of one reservation: lock its row, let `decide` pick the next state (undefined =
 * leave it), return the stock when the step says so, record the state — all in one transaction.
 */
function transition(
  pool: pg.Pool,
  orderId: string,
  decide: (row: LockedReservation) => Step | undefined,
): Promise<TransitionOutcome> {
  return inTransaction<TransitionOutcome>(pool, async (client) => {
    const locked = await client.query<LockedReservation>(
      'SELECT status, expires_at FROM catalog.reservations WHERE order_id = $1 FOR UPDATE',
      [orderId],
    );
    const row = locked.rows[0];
    if (!row) return { kind: 'missing' };
    const step = decide(row);
    if (!step) return { kind: 'unchanged', reservation: (await loadReservation(client, orderId))! };
    const productIds = step.restock ? await restock(client, [orderId]) : [];
    await client.query(
      'UPDATE catalog.reservations SET status = $2, updated_at = now() WHERE order_id = $1',
      [orderId, step.status],
    );
    return { kind: 'changed', reservation: (await loadReservation(client, orderId))!, productIds };
  });
}

export interface InventoryRepository {
  find(orderId: string): Promise<Reservation | undefined>;
  /** All-or-nothing; idempotent per order id (an existing reservation is returned untouched). */
  reserve(orderId: string, lines: RequestedLine[], expiresAt: Date): Promise<ReserveOutcome>;
  /** RESERVED → COMMITTED, unless it expired by `now` (then it is expired and stock returned). */
  commit(orderId: string, now: Date): Promise<TransitionOutcome>;
  /** RESERVED → RELEASED with stock returned; other states are left alone. */
  release(orderId: string): Promise<TransitionOutcome>;
  /** Stock back whatever the state: RESERVED → RELEASED, COMMITTED → RETURNED (refund); others untouched. */
  restock(orderId: string): Promise<TransitionOutcome>;
  /** Expires up to `limit` due reservations; rows another replica is working on are skipped. */
  expireDue(now: Date, limit: number): Promise<{ orderIds: string[]; productIds: number[] }>;
}

export function createInventoryRepository(pool: pg.Pool): InventoryRepository {
  return {
    find: (orderId) => loadReservation(pool, orderId),

    reserve(orderId, lines, expiresAt) {
      return inTransaction<ReserveOutcome>(pool, async (client) => {
        // Claims the order id first: a concurrent duplicate waits here until this transaction ends,
        // then sees the row (or, after a rollback, claims it itself).
        const claimed = await client.query(
          `INSERT INTO catalog.reservations (order_id, status, currency, total_amount, expires_at)
           VALUES ($1, 'RESERVED', 'XXX', 0, $2) ON CONFLICT (order_id) DO NOTHING`,
          [orderId, expiresAt],
        );
        if (claimed.rowCount === 0) {
          return { kind: 'existing', reservation: (await loadReservation(client, orderId))! };
        }
        const ids = lines.map((l) => l.productId);
        // Row locks in id order: concurrent reservations of overlapping products queue instead of deadlocking.
        const products = await client.query<{
          id: string;
          price_amount: string;
          currency: string;
          stock: number;
          status: string;
        }>(
          `SELECT id, price_amount, currency, stock, status FROM catalog.products
           WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL ORDER BY id FOR UPDATE`,
          [ids],
        );
        const byId = new Map(products.rows.map((p) => [Number(p.id), p]));
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
        const currencies = [...new Set(products.rows.map((p) => p.currency))];
        if (currencies.length > 1) rejection.currencies = currencies;
        if (
          rejection.unknown.length ||
          rejection.inactive.length ||
          rejection.insufficient.length ||
          rejection.currencies.length
        ) {
          throw new RejectedReservation(rejection);
        }
        // The WHERE clause and the CHECK (stock >= 0) are the last line of defence against overselling.
        const taken = await client.query(
          `UPDATE catalog.products p SET stock = p.stock - v.quantity, version = p.version + 1, updated_at = now()
           FROM unnest($1::bigint[], $2::integer[]) AS v(id, quantity)
           WHERE p.id = v.id AND p.stock >= v.quantity`,
          [ids, lines.map((l) => l.quantity)],
        );
        if (taken.rowCount !== lines.length) throw new Error('stock changed under a row lock');
        await client.query(
          `INSERT INTO catalog.reservation_items (order_id, product_id, quantity, unit_price, currency)
           SELECT $1, v.id, v.quantity, p.price_amount, p.currency
           FROM unnest($2::bigint[], $3::integer[]) AS v(id, quantity) JOIN catalog.products p ON p.id = v.id`,
          [orderId, ids, lines.map((l) => l.quantity)],
        );
        await client.query(
          `UPDATE catalog.reservations r SET currency = t.currency, total_amount = t.total
           FROM (SELECT min(currency) AS currency, sum(unit_price * quantity) AS total
                 FROM catalog.reservation_items WHERE order_id = $1) t
           WHERE r.order_id = $1`,
          [orderId],
        );
        return { kind: 'created', reservation: (await loadReservation(client, orderId))! };
      }).catch((err: unknown) => {
        if (err instanceof RejectedReservation) return { kind: 'rejected', rejection: err.rejection };
        throw err;
      });
    },

    commit: (orderId, now) =>
      transition(pool, orderId, (row) => {
        if (row.status !== 'RESERVED') return undefined;
        return row.expires_at <= now
          ? { status: 'EXPIRED', restock: true }
          : { status: 'COMMITTED', restock: false };
      }),

    release: (orderId) =>
      transition(pool, orderId, (row) =>
        row.status === 'RESERVED' ? { status: 'RELEASED', restock: true } : undefined,
      ),

    restock: (orderId) =>
      transition(pool, orderId, (row) => {
        if (row.status === 'RESERVED') return { status: 'RELEASED', restock: true };
        if (row.status === 'COMMITTED') return { status: 'RETURNED', restock: true };
        return undefined;
      }),

    expireDue(now, limit) {
      return inTransaction(pool, async (client) => {
        const due = await client.query<{ order_id: string }>(
          `SELECT order_id FROM catalog.reservations
           WHERE status = 'RESERVED' AND expires_at <= $1
           ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [now, limit],
        );
        const orderIds = due.rows.map((r) => r.order_id);
        if (orderIds.length === 0) return { orderIds, productIds: [] };
        const productIds = await restock(client, orderIds);
        await client.query(
          `UPDATE catalog.reservations SET status = 'EXPIRED', updated_at = now() WHERE order_id = ANY($1::text[])`,
          [orderIds],
        );
        return { orderIds, productIds };
      });
    },
  };
}

class RejectedReservation extends Error {
  constructor(readonly rejection: Rejection) {
    super('reservation rejected');
  }
}
