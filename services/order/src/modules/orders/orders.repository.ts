import { EVENT_STREAMS } from '@shop/contracts';
import { type NewEvent, Outbox } from '@shop/events';
import { type Db, withTransaction } from '@shop/service-kit';
import type pg from 'pg';
import { DB_SCHEMA } from '../../config.js';
import {
  findWithItems,
  insertPending,
  markPriced,
  O,
  setPaymentId,
  transition,
} from './orders.statements.js';

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

export interface NewOrder {
  id: string;
  userId: string;
  paymentMethod: string;
  idempotencyKey: string | null;
  requestHash: string;
  expiresAt: Date;
  items: { product_id: number; quantity: number }[];
}

/** An event of an order, written to `orders.outbox` in the transaction of the state change. */
export type OrderEvent = Omit<NewEvent<Record<string, unknown>>, 'stream'>;

/**
 * SQL of orders, order lines and their outbox (schema `orders`). Built on the pool, every method is
 * its own unit of work; `transaction(work)` hands `work` the same repository bound to one
 * transaction, so a state change and its event commit together.
 */
export interface OrdersRepository {
  /** Inserts a PENDING order with its lines; undefined when (user, idempotency key) already exists. */
  insertPending(order: NewOrder): Promise<OrderRow | undefined>;
  findById(id: string, options?: { forUpdate?: boolean }): Promise<OrderRow | undefined>;
  /** The order and its lines in one read; undefined when it does not exist. */
  findWithItems(id: string): Promise<{ row: OrderRow; items: OrderItemRow[] } | undefined>;
  findByIdempotencyKey(userId: string, key: string): Promise<OrderRow | undefined>;
  items(orderIds: string[]): Promise<OrderItemRow[]>;
  /** Keyset page of a user's orders, newest first. */
  listByUser(userId: string, limit: number, after?: { createdAt: Date; id: string }): Promise<OrderRow[]>;
  /**
   * Stores the reserved prices and moves PENDING → AWAITING_PAYMENT; returns the updated order, or
   * undefined when it was not PENDING.
   */
  markPriced(id: string, lines: PricedLine[], total: number, currency: string): Promise<OrderRow | undefined>;
  /**
   * Records the payment of an order that has none yet; returns the order with its lines, or
   * undefined when it had a payment id already.
   */
  setPaymentId(id: string, paymentId: string): Promise<{ row: OrderRow; items: OrderItemRow[] } | undefined>;
  /**
   * Conditional transition: only from one of `from`; returns the updated row with its lines (what
   * the transition's event names), or undefined.
   */
  transition(
    id: string,
    from: OrderStatus[],
    to: OrderStatus,
    extra?: { paymentId?: string; failureReason?: string },
  ): Promise<(OrderRow & { items: OrderItemRow[] }) | undefined>;
  setFailureReason(id: string, reason: string): Promise<void>;
  /** Deletes an order that never reserved anything (rejected by the product service). */
  deletePending(id: string): Promise<void>;
  /** Locks expired unpaid orders; SKIP LOCKED lets the sweeper run on every replica. */
  lockExpired(now: Date, limit: number): Promise<OrderRow[]>;
  /** Writes an event of the `orders` stream to the outbox (relayed after commit). */
  addEvent(event: OrderEvent): Promise<void>;
  /** Runs `work` in one transaction (or in the current one, when this repository is bound to it). */
  transaction<T>(work: (tx: OrdersRepository) => Promise<T>): Promise<T>;
}

const outbox = new Outbox(DB_SCHEMA);

type InTransaction = <T>(work: (client: Db) => Promise<T>) => Promise<T>;

/** The repository on the pool: one connection per call, multi-statement calls in their own transaction. */
export function createOrdersRepository(pool: pg.Pool): OrdersRepository {
  return bind(pool, (work) => withTransaction(pool, work));
}

/**
 * The repository bound to a transaction someone else opened (the payment-events consumer's, which
 * also records the event as processed): everything commits or rolls back together.
 */
export function ordersRepositoryIn(tx: Db): OrdersRepository {
  return bind(tx, (work) => work(tx));
}

function bind(db: Db, inTransaction: InTransaction): OrdersRepository {
  const repo: OrdersRepository = {
    transaction: (work) => inTransaction((client) => work(client === db ? repo : ordersRepositoryIn(client))),
    insertPending: (order) => insertPending(db, order),
    findById: (id, options) => findById(db, id, options?.forUpdate ?? false),
    findWithItems: (id) => findWithItems(db, id),
    findByIdempotencyKey: (userId, key) => findByIdempotencyKey(db, userId, key),
    items: (orderIds) => items(db, orderIds),
    listByUser: (userId, limit, after) => listByUser(db, userId, limit, after),
    markPriced: (id, lines, total, currency) => markPriced(db, id, lines, total, currency),
    setPaymentId: (id, paymentId) => setPaymentId(db, id, paymentId),
    transition: (id, from, to, extra) => transition(db, id, from, to, extra),
    setFailureReason: (id, reason) => setFailureReason(db, id, reason),
    deletePending: (id) => deletePending(db, id),
    lockExpired: (now, limit) => lockExpired(db, now, limit),
    addEvent: async (event) => {
      await outbox.enqueue(db, { stream: EVENT_STREAMS.orders, ...event });
    },
  };
  return repo;
}

async function findById(db: Db, id: string, forUpdate: boolean): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>({
    name: forUpdate ? 'orders_by_id_for_update' : 'orders_by_id',
    text: `SELECT ${O} FROM orders.orders WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    values: [id],
  });
  return rows[0];
}

async function findByIdempotencyKey(db: Db, userId: string, key: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>({
    name: 'orders_by_idempotency_key',
    text: `SELECT ${O} FROM orders.orders WHERE user_id = $1 AND idempotency_key = $2`,
    values: [userId, key],
  });
  return rows[0];
}

async function items(db: Db, orderIds: string[]): Promise<OrderItemRow[]> {
  if (orderIds.length === 0) return [];
  const { rows } = await db.query<OrderItemRow>({
    name: 'orders_items',
    text: `SELECT order_id, product_id, quantity, unit_price, line_total, name, sku
       FROM orders.order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, product_id`,
    values: [orderIds],
  });
  return rows;
}

async function listByUser(
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

async function setFailureReason(db: Db, id: string, reason: string): Promise<void> {
  await db.query('UPDATE orders.orders SET failure_reason = $2, updated_at = now() WHERE id = $1', [
    id,
    reason,
  ]);
}

async function deletePending(db: Db, id: string): Promise<void> {
  await db.query(`DELETE FROM orders.orders WHERE id = $1 AND status = 'PENDING'`, [id]);
}

async function lockExpired(db: Db, now: Date, limit: number): Promise<OrderRow[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${O} FROM orders.orders
      WHERE status IN ('PENDING', 'AWAITING_PAYMENT') AND expires_at <= $1
      ORDER BY expires_at LIMIT $2
      FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return rows;
}
