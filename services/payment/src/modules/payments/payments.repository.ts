import { type NewEvent, Outbox } from '@shop/events';
import { type Db, withTransaction } from '@shop/service-kit';
import type pg from 'pg';
import { DB_SCHEMA } from '../../config.js';

export type PaymentStatus =
  | 'processing'
  | 'pending'
  | 'succeeded'
  | 'failed'
  | 'partially_refunded'
  | 'refunded';

export interface PaymentRow {
  id: string;
  order_id: string;
  idempotency_key: string;
  request_hash: string;
  amount: string;
  currency: string;
  payment_method: string;
  status: PaymentStatus;
  provider: string;
  provider_ref: string | null;
  failure_code: string | null;
  failure_message: string | null;
  refunded_amount: string;
  captured_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface RefundRow {
  id: string;
  payment_id: string;
  idempotency_key: string;
  request_hash: string;
  amount: string;
  currency: string;
  status: 'succeeded' | 'failed';
  provider_ref: string | null;
  reason: string | null;
  created_at: Date;
}

export interface NewPayment {
  id: string;
  orderId: string;
  idempotencyKey: string;
  requestHash: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  provider: string;
}

export interface NewRefund {
  id: string;
  paymentId: string;
  idempotencyKey: string;
  requestHash: string;
  amount: number;
  currency: string;
  status: 'succeeded' | 'failed';
  providerRef: string;
  reason: string | null;
}

export interface PaymentOutcome {
  status: 'succeeded' | 'pending' | 'failed';
  providerRef: string | null;
  failureCode?: string | null;
  failureMessage?: string | null;
}

export interface LedgerEntry {
  kind: 'charge' | 'refund';
  id: string;
  provider_ref: string | null;
  amount: string;
  currency: string;
}

/** The statements that run inside one transaction (`PaymentsRepository.transaction`). */
export interface PaymentsTransaction {
  /** `forUpdate` locks the row until the transaction ends. */
  findById(id: string, options?: { forUpdate: boolean }): Promise<PaymentRow | undefined>;
  /** Moves a non-final payment to its provider outcome; undefined when it was already final. */
  applyOutcome(id: string, outcome: PaymentOutcome): Promise<PaymentRow | undefined>;
  /** Payments stuck in `processing` (their process died mid-charge), oldest first, locked for one replica. */
  lockStuckProcessing(olderThan: Date, limit: number): Promise<PaymentRow[]>;
  findRefund(paymentId: string, idempotencyKey: string): Promise<RefundRow | undefined>;
  insertRefund(refund: NewRefund): Promise<RefundRow>;
  /** Adds a succeeded refund to the payment: `partially_refunded`, or `refunded` once all of it is back. */
  addRefunded(id: string, amount: number): Promise<PaymentRow>;
  /** Records a provider event id; false when it was processed before. */
  recordWebhookEvent(provider: string, eventId: string, type: string): Promise<boolean>;
  /** Writes an event to the outbox, committed with the rest of the transaction. */
  enqueue(event: NewEvent<Record<string, unknown>>): Promise<void>;
}

/** SQL of payments, refunds, webhook dedup and the outbox (schema `payments`); holds the pool. */
export interface PaymentsRepository {
  /**
   * Inserts a `processing` payment unless the idempotency key or a live payment for the order
   * already exists (unique constraints); returns undefined in that case.
   */
  insertProcessing(payment: NewPayment): Promise<PaymentRow | undefined>;
  findById(id: string): Promise<PaymentRow | undefined>;
  findByIdempotencyKey(key: string): Promise<PaymentRow | undefined>;
  listByOrder(orderId: string): Promise<PaymentRow[]>;
  list(limit: number, offset: number): Promise<PaymentRow[]>;
  listRefunds(paymentId: string): Promise<RefundRow[]>;
  /** Ledger side of reconciliation: captures and refunds recorded in [from, to). */
  ledgerEntries(from: Date, to: Date): Promise<LedgerEntry[]>;
  /** Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(work: (tx: PaymentsTransaction) => Promise<T>): Promise<T>;
}

const P = `id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider,
  provider_ref, failure_code, failure_message, refunded_amount, captured_at, created_at, updated_at`;
const R =
  'id, payment_id, idempotency_key, request_hash, amount, currency, status, provider_ref, reason, created_at';

/** A statement of the payment's hot path: named, so parsed and planned once per connection. */
type Named = { name: string; text: string };

async function one<T extends pg.QueryResultRow>(db: Db, sql: string | Named, values: unknown[]) {
  const { rows } = await db.query<T>(typeof sql === 'string' ? { text: sql, values } : { ...sql, values });
  return rows[0];
}

async function many<T extends pg.QueryResultRow>(db: Db, sql: string, params: unknown[]) {
  const { rows } = await db.query<T>(sql, params);
  return rows;
}

function findById(db: Db, id: string, forUpdate = false) {
  return one<PaymentRow>(
    db,
    {
      name: forUpdate ? 'payments_by_id_for_update' : 'payments_by_id',
      text: `SELECT ${P} FROM payments.payments WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    },
    [id],
  );
}

function insertProcessing(db: Db, p: NewPayment) {
  return one<PaymentRow>(
    db,
    {
      name: 'payments_insert_processing',
      text: `INSERT INTO payments.payments
       (id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8)
     ON CONFLICT DO NOTHING
     RETURNING ${P}`,
    },
    [p.id, p.orderId, p.idempotencyKey, p.requestHash, p.amount, p.currency, p.paymentMethod, p.provider],
  );
}

function applyOutcome(db: Db, id: string, outcome: PaymentOutcome) {
  return one<PaymentRow>(
    db,
    {
      name: 'payments_apply_outcome',
      text: `UPDATE payments.payments
        SET status = $2, provider_ref = COALESCE($3, provider_ref), failure_code = $4, failure_message = $5,
            captured_at = CASE WHEN $2 = 'succeeded' THEN now() ELSE captured_at END, updated_at = now()
      WHERE id = $1 AND status IN ('processing', 'pending')
      RETURNING ${P}`,
    },
    [id, outcome.status, outcome.providerRef, outcome.failureCode ?? null, outcome.failureMessage ?? null],
  );
}

function lockStuckProcessing(db: Db, olderThan: Date, limit: number) {
  return many<PaymentRow>(
    db,
    `SELECT ${P} FROM payments.payments
      WHERE status = 'processing' AND updated_at < $1
      ORDER BY updated_at LIMIT $2
      FOR UPDATE SKIP LOCKED`,
    [olderThan, limit],
  );
}

async function insertRefund(db: Db, r: NewRefund): Promise<RefundRow> {
  const row = await one<RefundRow>(
    db,
    `INSERT INTO payments.refunds
       (id, payment_id, idempotency_key, request_hash, amount, currency, status, provider_ref, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     RETURNING ${R}`,
    [
      r.id,
      r.paymentId,
      r.idempotencyKey,
      r.requestHash,
      r.amount,
      r.currency,
      r.status,
      r.providerRef,
      r.reason,
    ],
  );
  return row!;
}

async function addRefunded(db: Db, id: string, amount: number): Promise<PaymentRow> {
  const row = await one<PaymentRow>(
    db,
    `UPDATE payments.payments
        SET refunded_amount = refunded_amount + $2,
            status = CASE WHEN refunded_amount + $2 >= amount THEN 'refunded' ELSE 'partially_refunded' END,
            updated_at = now()
      WHERE id = $1
      RETURNING ${P}`,
    [id, amount],
  );
  return row!;
}

async function recordWebhookEvent(db: Db, provider: string, eventId: string, type: string) {
  const res = await db.query(
    `INSERT INTO payments.webhook_events (provider, event_id, event_type) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [provider, eventId, type],
  );
  return res.rowCount === 1;
}

function ledgerEntries(db: Db, from: Date, to: Date) {
  return many<LedgerEntry>(
    db,
    `SELECT 'charge' AS kind, id, provider_ref, amount, currency FROM payments.payments
      WHERE captured_at >= $1 AND captured_at < $2
     UNION ALL
     SELECT 'refund' AS kind, id, provider_ref, amount, currency FROM payments.refunds
      WHERE status = 'succeeded' AND created_at >= $1 AND created_at < $2`,
    [from, to],
  );
}

function transactionOn(client: pg.PoolClient, outbox: Outbox): PaymentsTransaction {
  return {
    findById: (id, options) => findById(client, id, options?.forUpdate),
    applyOutcome: (id, outcome) => applyOutcome(client, id, outcome),
    lockStuckProcessing: (olderThan, limit) => lockStuckProcessing(client, olderThan, limit),
    findRefund: (paymentId, key) =>
      one<RefundRow>(
        client,
        `SELECT ${R} FROM payments.refunds WHERE payment_id = $1 AND idempotency_key = $2`,
        [paymentId, key],
      ),
    insertRefund: (refund) => insertRefund(client, refund),
    addRefunded: (id, amount) => addRefunded(client, id, amount),
    recordWebhookEvent: (provider, eventId, type) => recordWebhookEvent(client, provider, eventId, type),
    enqueue: async (event) => {
      await outbox.enqueue(client, event);
    },
  };
}

export function createPaymentsRepository(pool: pg.Pool): PaymentsRepository {
  const outbox = new Outbox(DB_SCHEMA);
  return {
    insertProcessing: (payment) => insertProcessing(pool, payment),
    findById: (id) => findById(pool, id),
    findByIdempotencyKey: (key) =>
      one<PaymentRow>(
        pool,
        {
          name: 'payments_by_idempotency_key',
          text: `SELECT ${P} FROM payments.payments WHERE idempotency_key = $1`,
        },
        [key],
      ),
    listByOrder: (orderId) =>
      many<PaymentRow>(pool, `SELECT ${P} FROM payments.payments WHERE order_id = $1 ORDER BY created_at`, [
        orderId,
      ]),
    list: (limit, offset) =>
      many<PaymentRow>(
        pool,
        `SELECT ${P} FROM payments.payments ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`,
        [limit, offset],
      ),
    listRefunds: (paymentId) =>
      many<RefundRow>(pool, `SELECT ${R} FROM payments.refunds WHERE payment_id = $1 ORDER BY created_at`, [
        paymentId,
      ]),
    ledgerEntries: (from, to) => ledgerEntries(pool, from, to),
    transaction: (work) => withTransaction(pool, (client) => work(transactionOn(client, outbox))),
  };
}
