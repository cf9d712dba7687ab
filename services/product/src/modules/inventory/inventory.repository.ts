import { withTransaction } from '@shop/service-kit';
import type pg from 'pg';
import {
  commitIfReserved,
  loadReservation,
  lockReservation,
  rejectionOf,
  restock,
  setStatus,
} from './inventory.queries.js';
import { reserveLines } from './inventory.reserve.js';

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

// Deadlocks cannot arise from this module's own statements (product rows are always locked in id
// order), but PostgreSQL may still abort a transaction under contention; such aborts are retried.
const inTransaction = <T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>) =>
  withTransaction(pool, work, { retries: 2 });

const RETRYABLE = new Set(['40P01', '40001']);

/** Runs one statement again (twice at most) when PostgreSQL aborted it under contention. */
async function retryingAborts<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await statement();
    } catch (err) {
      if (attempt < 2 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    }
  }
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
    const row = await lockReservation(client, orderId);
    if (!row) return { kind: 'missing' };
    const step = decide(row);
    if (!step) return { kind: 'unchanged', reservation: (await loadReservation(client, orderId))! };
    const productIds = step.restock ? await restock(client, [orderId]) : [];
    return { kind: 'changed', reservation: await setStatus(client, orderId, step.status), productIds };
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

    async reserve(orderId, lines, expiresAt) {
      // One statement (inventory.reserve.ts): a reservation is one round trip and its row locks
      // last only as long as the statement. A statement that wrote nothing is a replay (the order
      // id has a reservation) or a rejection, told apart by reading the reservation.
      for (let attempt = 0; ; attempt += 1) {
        const result = await retryingAborts(() => reserveLines(pool, orderId, lines, expiresAt));
        if (result.claimed) return { kind: 'created', reservation: result.reservation };
        const existing = await loadReservation(pool, orderId);
        if (existing) return { kind: 'existing', reservation: existing };
        const rejection = result.ok ? undefined : rejectionOf(lines, result.products);
        if (rejection) return { kind: 'rejected', rejection };
        // Not claimed, yet no reservation and nothing to reject: it vanished meanwhile; try again.
        if (attempt >= 2) throw new Error(`reservation of order ${orderId} neither made nor found`);
      }
    },

    async commit(orderId, now) {
      // The usual case (paid in time) is one statement; anything else takes the locked transition.
      const committed = await retryingAborts(() => commitIfReserved(pool, orderId, now));
      if (committed) return { kind: 'changed', reservation: committed, productIds: [] };
      return transition(pool, orderId, (row) => {
        if (row.status !== 'RESERVED') return undefined;
        return row.expires_at <= now
          ? { status: 'EXPIRED', restock: true }
          : { status: 'COMMITTED', restock: false };
      });
    },

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
