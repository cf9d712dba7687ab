import { ConflictError, ValidationError } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { PaymentsRepository } from '../payments/payments.repository.js';
import type { PaymentProvider } from '../sandbox/provider.js';
import { withRedisLock } from './redis-lock.js';

export interface ReconciliationEntry {
  kind: 'charge' | 'refund';
  provider_ref: string | null;
  ledger_id: string | null;
  ledger_amount: number | null;
  provider_amount: number | null;
  /** The provider's status when it is not `succeeded` (a capture it does not confirm). */
  provider_status?: string;
  currency: string;
}

export interface ReconciliationReport {
  date: string;
  provider: string;
  generated_at: string;
  totals: { matched: number; missing: number; mismatched: number };
  matched: ReconciliationEntry[];
  /** `missing_in_ledger`: the provider has it, we do not; `missing_at_provider`: the reverse. */
  missing: (ReconciliationEntry & { side: 'missing_in_ledger' | 'missing_at_provider' })[];
  mismatched: ReconciliationEntry[];
}

export const RECONCILIATION_LOCK_KEY = 'lock:payments:reconciliation';

/**
 * Daily reconciliation: compares the ledger (captures and refunds recorded that UTC day) with the
 * provider's records of the same day, keyed by provider reference. A Redis lock makes sure only
 * one replica (or one CLI run) reconciles at a time.
 */
export class ReconciliationService {
  private readonly repo = new PaymentsRepository();

  constructor(
    private readonly deps: {
      pool: pg.Pool;
      redis: Redis;
      provider: PaymentProvider;
      lockTtlMs: number;
      now?: () => Date;
    },
  ) {}

  async run(date: string): Promise<ReconciliationReport> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
      throw new ValidationError({
        detail: 'date must be YYYY-MM-DD',
        errors: [{ pointer: '/body/date', detail: 'expected YYYY-MM-DD' }],
      });
    }
    const outcome = await withRedisLock(this.deps.redis, RECONCILIATION_LOCK_KEY, this.deps.lockTtlMs, () =>
      this.compare(date),
    );
    if (!outcome.acquired) {
      throw new ConflictError({
        code: 'RECONCILIATION.IN_PROGRESS',
        detail: 'another replica is running the reconciliation; try again later',
        headers: { 'Retry-After': '10' },
      });
    }
    return outcome.value;
  }

  private async compare(date: string): Promise<ReconciliationReport> {
    const from = new Date(`${date}T00:00:00.000Z`);
    const to = new Date(from.getTime() + 24 * 3600_000);
    const [ledger, provider] = await Promise.all([
      this.repo.ledgerEntries(this.deps.pool, from, to),
      this.deps.provider.listTransactions(from, to),
    ]);
    const byRef = new Map(provider.map((t) => [`${t.kind}:${t.id}`, t]));
    const report: ReconciliationReport = {
      date,
      provider: this.deps.provider.name,
      generated_at: (this.deps.now?.() ?? new Date()).toISOString(),
      totals: { matched: 0, missing: 0, mismatched: 0 },
      matched: [],
      missing: [],
      mismatched: [],
    };
    for (const entry of ledger) {
      const key = `${entry.kind}:${entry.provider_ref}`;
      const theirs = entry.provider_ref ? byRef.get(key) : undefined;
      const line: ReconciliationEntry = {
        kind: entry.kind,
        provider_ref: entry.provider_ref,
        ledger_id: entry.id,
        ledger_amount: Number(entry.amount),
        provider_amount: theirs?.amount ?? null,
        currency: entry.currency.trim(),
      };
      if (!theirs) report.missing.push({ ...line, side: 'missing_at_provider' });
      else if (theirs.status !== 'succeeded')
        report.mismatched.push({ ...line, provider_status: theirs.status });
      else if (theirs.amount !== Number(entry.amount) || theirs.currency.trim() !== entry.currency.trim())
        report.mismatched.push(line);
      else report.matched.push(line);
      byRef.delete(key);
    }
    for (const t of byRef.values()) {
      // Declined or still pending at the provider and absent from the ledger: nothing was captured.
      if (t.status !== 'succeeded') continue;
      report.missing.push({
        kind: t.kind,
        provider_ref: t.id,
        ledger_id: null,
        ledger_amount: null,
        provider_amount: t.amount,
        currency: t.currency.trim(),
        side: 'missing_in_ledger',
      });
    }
    report.totals = {
      matched: report.matched.length,
      missing: report.missing.length,
      mismatched: report.mismatched.length,
    };
    return report;
  }
}
