import type { Db } from '@shop/service-kit';

export interface SandboxRow {
  id: string;
  kind: 'charge' | 'refund';
  reference: string;
  charge_id: string | null;
  amount: string;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed';
  payment_method: string | null;
  failure_code: string | null;
  webhook_event_id: string | null;
  webhook_attempts: number;
  created_at: Date;
}

const COLUMNS = `id, kind, reference, charge_id, amount, currency, status, payment_method, failure_code,
  webhook_event_id, webhook_attempts, created_at`;

/** SQL of the sandbox provider's own ledger (`payments.sandbox_transactions`). */
export class SandboxRepository {
  /** Inserts unless the reference exists (provider idempotency); returns the stored row either way. */
  async insertOrGet(
    db: Db,
    row: {
      id: string;
      kind: 'charge' | 'refund';
      reference: string;
      chargeId?: string | null;
      amount: number;
      currency: string;
      status: 'pending' | 'succeeded' | 'failed';
      paymentMethod?: string | null;
      failureCode?: string | null;
      webhookEventId?: string | null;
      webhookAt?: Date | null;
    },
  ): Promise<SandboxRow> {
    const inserted = await db.query<SandboxRow>(
      `INSERT INTO payments.sandbox_transactions
         (id, kind, reference, charge_id, amount, currency, status, payment_method, failure_code,
          webhook_pending, webhook_event_id, next_webhook_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (kind, reference) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        row.id,
        row.kind,
        row.reference,
        row.chargeId ?? null,
        row.amount,
        row.currency,
        row.status,
        row.paymentMethod ?? null,
        row.failureCode ?? null,
        row.webhookAt != null,
        row.webhookEventId ?? null,
        row.webhookAt ?? null,
      ],
    );
    if (inserted.rows[0]) return inserted.rows[0];
    const existing = await this.findByReference(db, row.kind, row.reference);
    if (!existing) throw new Error(`sandbox transaction ${row.reference} vanished`);
    return existing;
  }

  async findByReference(
    db: Db,
    kind: 'charge' | 'refund',
    reference: string,
  ): Promise<SandboxRow | undefined> {
    const { rows } = await db.query<SandboxRow>(
      `SELECT ${COLUMNS} FROM payments.sandbox_transactions WHERE kind = $1 AND reference = $2`,
      [kind, reference],
    );
    return rows[0];
  }

  /** Locks due webhook deliveries; SKIP LOCKED lets every replica run the dispatcher. */
  async lockDueWebhooks(db: Db, now: Date, limit: number): Promise<SandboxRow[]> {
    const { rows } = await db.query<SandboxRow>(
      `SELECT ${COLUMNS} FROM payments.sandbox_transactions
        WHERE webhook_pending AND next_webhook_at <= $1
        ORDER BY next_webhook_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows;
  }

  async confirmPending(db: Db, id: string): Promise<void> {
    await db.query(
      `UPDATE payments.sandbox_transactions SET status = 'succeeded', updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id],
    );
  }

  async markWebhookDelivered(db: Db, id: string): Promise<void> {
    await db.query(
      `UPDATE payments.sandbox_transactions
          SET webhook_pending = false, webhook_attempts = webhook_attempts + 1, updated_at = now()
        WHERE id = $1`,
      [id],
    );
  }

  async scheduleWebhookRetry(db: Db, id: string, at: Date): Promise<void> {
    await db.query(
      `UPDATE payments.sandbox_transactions
          SET next_webhook_at = $2, webhook_attempts = webhook_attempts + 1, updated_at = now()
        WHERE id = $1`,
      [id, at],
    );
  }

  async listCreatedBetween(db: Db, from: Date, to: Date): Promise<SandboxRow[]> {
    const { rows } = await db.query<SandboxRow>(
      `SELECT ${COLUMNS} FROM payments.sandbox_transactions
        WHERE created_at >= $1 AND created_at < $2
        ORDER BY created_at`,
      [from, to],
    );
    return rows;
  }
}
