import { randomBytes } from 'node:crypto';
import type { FaultFlags } from '@shop/service-kit';
import type pg from 'pg';
import type {
  ChargeRequest,
  ChargeResult,
  PaymentProvider,
  ProviderTransaction,
  RefundRequest,
} from './provider.js';
import { ProviderError, ProviderOutageError } from './provider.js';
import { SandboxRepository, type SandboxRow } from './sandbox.repository.js';

/** Test payment-method tokens the sandbox understands. */
export const SANDBOX_TOKENS = ['tok_success', 'tok_decline', 'tok_async', 'tok_error'] as const;

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export interface SandboxProviderOptions {
  pool: pg.Pool;
  /** How long `tok_async` stays pending before the dispatcher confirms it and sends the webhook. */
  asyncDelayMs: number;
  now?: () => Date;
  /** `paymentSlow` delays every charge, `paymentFailure` fails that share of them (off without flags). */
  flags?: Pick<FaultFlags, 'delay' | 'roll'>;
}

function toResult(row: SandboxRow): ChargeResult {
  if (row.status === 'failed') {
    return {
      status: 'failed',
      providerRef: row.id,
      failureCode: row.failure_code ?? 'card_declined',
      failureMessage: row.failure_code === 'card_declined' ? 'The card was declined' : 'The payment failed',
    };
  }
  return { status: row.status, providerRef: row.id };
}

/**
 * The built-in provider. It runs in-process and keeps its own ledger in
 * `payments.sandbox_transactions` — the "provider records" reconciliation compares against.
 * `tok_success` captures, `tok_decline` declines, `tok_async` stays pending and is confirmed later
 * by a signed webhook, `tok_error` behaves like a provider 5xx (nothing recorded).
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  private readonly repo = new SandboxRepository();
  private readonly now: () => Date;

  constructor(private readonly options: SandboxProviderOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    await this.options.flags?.delay('paymentSlow');
    if (await this.options.flags?.roll('paymentFailure')) {
      throw new ProviderOutageError('sandbox provider failed the charge (paymentFailure flag)');
    }
    const base = {
      id: newId('ch'),
      kind: 'charge' as const,
      reference: request.reference,
      amount: request.amount,
      currency: request.currency,
      paymentMethod: request.paymentMethod,
    };
    switch (request.paymentMethod) {
      case 'tok_error':
        throw new ProviderError('sandbox provider answered 503 (tok_error)');
      case 'tok_success':
        return toResult(await this.repo.insertOrGet(this.options.pool, { ...base, status: 'succeeded' }));
      case 'tok_async':
        return toResult(
          await this.repo.insertOrGet(this.options.pool, {
            ...base,
            status: 'pending',
            webhookEventId: newId('evt'),
            webhookAt: new Date(this.now().getTime() + this.options.asyncDelayMs),
          }),
        );
      case 'tok_decline':
        return toResult(
          await this.repo.insertOrGet(this.options.pool, {
            ...base,
            status: 'failed',
            failureCode: 'card_declined',
          }),
        );
      default:
        return toResult(
          await this.repo.insertOrGet(this.options.pool, {
            ...base,
            status: 'failed',
            failureCode: 'invalid_payment_method',
          }),
        );
    }
  }

  async refund(request: RefundRequest): Promise<{ status: 'succeeded' | 'failed'; providerRef: string }> {
    const row = await this.repo.insertOrGet(this.options.pool, {
      id: newId('re'),
      kind: 'refund',
      reference: request.reference,
      chargeId: request.chargeRef,
      amount: request.amount,
      currency: request.currency,
      status: 'succeeded',
    });
    return { status: row.status === 'failed' ? 'failed' : 'succeeded', providerRef: row.id };
  }

  async findCharge(reference: string): Promise<ChargeResult | null> {
    const row = await this.repo.findByReference(this.options.pool, 'charge', reference);
    return row ? toResult(row) : null;
  }

  async listTransactions(from: Date, to: Date): Promise<ProviderTransaction[]> {
    const rows = await this.repo.listCreatedBetween(this.options.pool, from, to);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      reference: r.reference,
      amount: Number(r.amount),
      currency: r.currency,
      status: r.status,
      createdAt: r.created_at,
    }));
  }
}
