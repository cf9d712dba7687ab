import { type Db, withTransaction } from '@shop/service-kit';
import type pg from 'pg';

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

export interface NewSandboxTransaction {
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
}

/** The webhook statements that run inside one transaction (`SandboxRepository.transaction`). */
export interface SandboxTransaction {
  /** Locks due webhook deliveries; SKIP LOCKED lets every replica run the dispatcher. */
  lockDueWebhooks(now: Date, limit: number): Promise<SandboxRow[]>;
  confirmPending(id: string): Promise<void>;
  markWebhookDelivered(id: string): Promise<void>;
  scheduleWebhookRetry(id: string, at: Date): Promise<void>;
}

/** SQL of the sandbox provider's own ledger (`payments.sandbox_transactions`); holds the pool. */
export interface SandboxRepository {
  /** Inserts unless the reference exists (provider idempotency); returns the stored row either way. */
  insertOrGet(row: NewSandboxTransaction): Promise<SandboxRow>;
  findByReference(kind: 'charge' | 'refund', reference: string): Promise<SandboxRow | undefined>;
  listCreatedBetween(from: Date, to: Date): Promise<SandboxRow[]>;
  /** Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(work: (tx: SandboxTransaction) => Promise<T>): Promise<T>;
}

async function findByReference(db: Db, kind: 'charge' | 'refund', reference: string) {
  const { rows } = await db.query<SandboxRow>(
    `SELECT ${COLUMNS} FROM payments.sandbox_transactions WHERE kind = $1 AND reference = $2`,
    [kind, reference],
  );
  return rows[0];
}

async function insertOrGet(db: Db, row: NewSandboxTransaction): Promise<SandboxRow> {
  const inserted = await db.query<SandboxRow>({
    name: 'sandbox_insert',
    text: `INSERT INTO payments.sandbox_transactions
       (id, kind, reference, charge_id, amount, currency, status, payment_method, failure_code,
        webhook_pending, webhook_event_id, next_webhook_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (kind, reference) DO NOTHING
     RETURNING ${COLUMNS}`,
    values: [
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
  });
  if (inserted.rows[0]) return inserted.rows[0];
  const existing = await findByReference(db, row.kind, row.reference);
  if (!existing) throw new Error(`sandbox transaction ${row.reference} vanished`);
  return existing;
}

function transactionOn(client: pg.PoolClient): SandboxTransaction {
  return {
    async lockDueWebhooks(now, limit) {
      const { rows } = await client.query<SandboxRow>(
        `SELECT ${COLUMNS} FROM payments.sandbox_transactions
          WHERE webhook_pending AND next_webhook_at <= $1
          ORDER BY next_webhook_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      return rows;
    },
    async confirmPending(id) {
      await client.query(
        `UPDATE payments.sandbox_transactions SET status = 'succeeded', updated_at = now()
          WHERE id = $1 AND status = 'pending'`,
        [id],
      );
    },
    async markWebhookDelivered(id) {
      await client.query(
        `UPDATE payments.sandbox_transactions
            SET webhook_pending = false, webhook_attempts = webhook_attempts + 1, updated_at = now()
          WHERE id = $1`,
        [id],
      );
    },
    async scheduleWebhookRetry(id, at) {
      await client.query(
        `UPDATE payments.sandbox_transactions
            SET next_webhook_at = $2, webhook_attempts = webhook_attempts + 1, updated_at = now()
          WHERE id = $1`,
        [id, at],
      );
    },
  };
}

export function createSandboxRepository(pool: pg.Pool): SandboxRepository {
  return {
    insertOrGet: (row) => insertOrGet(pool, row),
    findByReference: (kind, reference) => findByReference(pool, kind, reference),
    async listCreatedBetween(from, to) {
      const { rows } = await pool.query<SandboxRow>(
        `SELECT ${COLUMNS} FROM payments.sandbox_transactions
          WHERE created_at >= $1 AND created_at < $2
          ORDER BY created_at`,
        [from, to],
      );
      return rows;
    },
    transaction: (work) => withTransaction(pool, (client) => work(transactionOn(client))),
  };
}
