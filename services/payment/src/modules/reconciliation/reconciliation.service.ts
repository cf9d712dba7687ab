import type { Redis } from 'ioredis';
import type { PaymentProvider, ProviderTransaction } from '../payments/payment-provider.js';
import type { LedgerEntry, PaymentsRepository } from '../payments/payments.repository.js';
import { invalidReconciliationDate, reconciliationInProgress } from './reconciliation.errors.js';
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

export interface ReconciliationService {
  /** Reconciles the UTC day `date` (YYYY-MM-DD); 409 while another run holds the lock. */
  run(date: string): Promise<ReconciliationReport>;
}

export interface ReconciliationServiceDeps {
  payments: Pick<PaymentsRepository, 'ledgerEntries'>;
  redis: Redis;
  provider: PaymentProvider;
  lockTtlMs: number;
  now: () => Date;
}

/** Sorts each ledger entry against the provider's record of it; what the provider has left over is missing in the ledger. */
function compare(report: ReconciliationReport, ledger: LedgerEntry[], provider: ProviderTransaction[]): void {
  const byRef = new Map(provider.map((t) => [`${t.kind}:${t.id}`, t]));
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
}

async function reconcileDay(deps: ReconciliationServiceDeps, date: string): Promise<ReconciliationReport> {
  const from = new Date(`${date}T00:00:00.000Z`);
  const to = new Date(from.getTime() + 24 * 3600_000);
  const [ledger, provider] = await Promise.all([
    deps.payments.ledgerEntries(from, to),
    deps.provider.listTransactions(from, to),
  ]);
  const report: ReconciliationReport = {
    date,
    provider: deps.provider.name,
    generated_at: deps.now().toISOString(),
    totals: { matched: 0, missing: 0, mismatched: 0 },
    matched: [],
    missing: [],
    mismatched: [],
  };
  compare(report, ledger, provider);
  report.totals = {
    matched: report.matched.length,
    missing: report.missing.length,
    mismatched: report.mismatched.length,
  };
  return report;
}

/**
 * Daily reconciliation: compares the ledger (captures and refunds recorded that UTC day) with the
 * provider's records of the same day, keyed by provider reference. A Redis lock makes sure only
 * one replica (or one CLI run) reconciles at a time.
 */
export function createReconciliationService(deps: ReconciliationServiceDeps): ReconciliationService {
  return {
    async run(date) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
        throw invalidReconciliationDate();
      }
      const outcome = await withRedisLock(deps.redis, RECONCILIATION_LOCK_KEY, deps.lockTtlMs, () =>
        reconcileDay(deps, date),
      );
      if (!outcome.acquired) throw reconciliationInProgress();
      return outcome.value;
    },
  };
}
