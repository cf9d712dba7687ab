import type { Db } from '@shop/service-kit';

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

const P = `id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider,
  provider_ref, failure_code, failure_message, refunded_amount, captured_at, created_at, updated_at`;
const R =
  'id, payment_id, idempotency_key, request_hash, amount, currency, status, provider_ref, reason, created_at';

/** SQL of payments, refunds and webhook dedup (schema `payments`). */
export class PaymentsRepository {
  /**
   * Inserts a `processing` payment unless the idempotency key or a live payment for the order
   * already exists (unique constraints); returns undefined in that case.
   */
  async insertProcessing(
    db: Db,
    p: {
      id: string;
      orderId: string;
      idempotencyKey: string;
      requestHash: string;
      amount: number;
      currency: string;
      paymentMethod: string;
      provider: string;
    },
  ): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `INSERT INTO payments.payments
         (id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8)
       ON CONFLICT DO NOTHING
       RETURNING ${P}`,
      [p.id, p.orderId, p.idempotencyKey, p.requestHash, p.amount, p.currency, p.paymentMethod, p.provider],
    );
    return rows[0];
  }

  async findById(db: Db, id: string, forUpdate = false): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${P} FROM payments.payments WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  async findByIdempotencyKey(db: Db, key: string): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${P} FROM payments.payments WHERE idempotency_key = $1`,
      [key],
    );
    return rows[0];
  }

  async listByOrder(db: Db, orderId: string): Promise<PaymentRow[]> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${P} FROM payments.payments WHERE order_id = $1 ORDER BY created_at`,
      [orderId],
    );
    return rows;
  }

  async list(db: Db, limit: number, offset: number): Promise<PaymentRow[]> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${P} FROM payments.payments ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    return rows;
  }

  /** Moves a non-final payment to its provider outcome; returns undefined when it was already final. */
  async applyOutcome(
    db: Db,
    id: string,
    outcome: {
      status: 'succeeded' | 'pending' | 'failed';
      providerRef: string | null;
      failureCode?: string | null;
      failureMessage?: string | null;
    },
  ): Promise<PaymentRow | undefined> {
    const { rows } = await db.query<PaymentRow>(
      `UPDATE payments.payments
          SET status = $2, provider_ref = COALESCE($3, provider_ref), failure_code = $4, failure_message = $5,
              captured_at = CASE WHEN $2 = 'succeeded' THEN now() ELSE captured_at END, updated_at = now()
        WHERE id = $1 AND status IN ('processing', 'pending')
        RETURNING ${P}`,
      [id, outcome.status, outcome.providerRef, outcome.failureCode ?? null, outcome.failureMessage ?? null],
    );
    return rows[0];
  }

  /** Payments stuck in `processing` (their process died mid-charge), oldest first, locked for one replica. */
  async lockStuckProcessing(db: Db, olderThan: Date, limit: number): Promise<PaymentRow[]> {
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${P} FROM payments.payments
        WHERE status = 'processing' AND updated_at < $1
        ORDER BY updated_at LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [olderThan, limit],
    );
    return rows;
  }

  async addRefunded(db: Db, id: string, amount: number): Promise<PaymentRow> {
    const { rows } = await db.query<PaymentRow>(
      `UPDATE payments.payments
          SET refunded_amount = refunded_amount + $2,
              status = CASE WHEN refunded_amount + $2 >= amount THEN 'refunded' ELSE 'partially_refunded' END,
              updated_at = now()
        WHERE id = $1
        RETURNING ${P}`,
      [id, amount],
    );
    return rows[0]!;
  }

  async findRefund(db: Db, paymentId: string, key: string): Promise<RefundRow | undefined> {
    const { rows } = await db.query<RefundRow>(
      `SELECT ${R} FROM payments.refunds WHERE payment_id = $1 AND idempotency_key = $2`,
      [paymentId, key],
    );
    return rows[0];
  }

  async insertRefund(
    db: Db,
    r: {
      id: string;
      paymentId: string;
      idempotencyKey: string;
      requestHash: string;
      amount: number;
      currency: string;
      status: 'succeeded' | 'failed';
      providerRef: string;
      reason: string | null;
    },
  ): Promise<RefundRow> {
    const { rows } = await db.query<RefundRow>(
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
    return rows[0]!;
  }

  async listRefunds(db: Db, paymentId: string): Promise<RefundRow[]> {
    const { rows } = await db.query<RefundRow>(
      `SELECT ${R} FROM payments.refunds WHERE payment_id = $1 ORDER BY created_at`,
      [paymentId],
    );
    return rows;
  }

  /** Records a provider event id; false when it was processed before. */
  async recordWebhookEvent(db: Db, provider: string, eventId: string, type: string): Promise<boolean> {
    const res = await db.query(
      `INSERT INTO payments.webhook_events (provider, event_id, event_type) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [provider, eventId, type],
    );
    return res.rowCount === 1;
  }

  /** Ledger side of reconciliation: captures and refunds recorded in [from, to). */
  async ledgerEntries(
    db: Db,
    from: Date,
    to: Date,
  ): Promise<
    { kind: 'charge' | 'refund'; id: string; provider_ref: string | null; amount: string; currency: string }[]
  > {
    const { rows } = await db.query(
      `SELECT 'charge' AS kind, id, provider_ref, amount, currency FROM payments.payments
        WHERE captured_at >= $1 AND captured_at < $2
       UNION ALL
       SELECT 'refund' AS kind, id, provider_ref, amount, currency FROM payments.refunds
        WHERE status = 'succeeded' AND created_at >= $1 AND created_at < $2`,
      [from, to],
    );
    return rows;
  }
}
