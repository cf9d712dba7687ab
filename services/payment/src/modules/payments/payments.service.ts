import { createHash, randomUUID } from 'node:crypto';
import { EVENT_STREAMS, PAYMENT_EVENT_TYPES } from '@shop/contracts';
import type { Outbox } from '@shop/events';
import { withTransaction } from '@shop/service-kit';
import type pg from 'pg';
import {
  type ChargeResult,
  type PaymentProvider,
  ProviderError,
  ProviderOutageError,
} from '../sandbox/provider.js';
import {
  idempotencyKeyReused,
  notRefundable,
  orderAlreadyHasPayment,
  paymentNotFound,
  providerUnavailable,
  refundExceedsCaptured,
} from './payments.errors.js';
import { type PaymentRow, PaymentsRepository, type RefundRow } from './payments.repository.js';

export interface CreatePaymentInput {
  order_id: string;
  amount: number;
  currency: string;
  payment_method: string;
}

export interface Payment {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  payment_method: string;
  status: PaymentRow['status'];
  provider: string;
  provider_ref: string | null;
  failure_code: string | null;
  failure_message: string | null;
  refunded_amount: number;
  captured_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Refund {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  status: 'succeeded' | 'failed';
  provider_ref: string | null;
  reason: string | null;
  created_at: string;
}

export const toPayment = (r: PaymentRow): Payment => ({
  id: r.id,
  order_id: r.order_id,
  amount: Number(r.amount),
  currency: r.currency.trim(),
  payment_method: r.payment_method,
  status: r.status,
  provider: r.provider,
  provider_ref: r.provider_ref,
  failure_code: r.failure_code,
  failure_message: r.failure_message,
  refunded_amount: Number(r.refunded_amount),
  captured_at: r.captured_at?.toISOString() ?? null,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

const toRefund = (r: RefundRow): Refund => ({
  id: r.id,
  payment_id: r.payment_id,
  amount: Number(r.amount),
  currency: r.currency.trim(),
  status: r.status,
  provider_ref: r.provider_ref,
  reason: r.reason,
  created_at: r.created_at.toISOString(),
});

// The provider is idempotent on `reference` (the payment id), so a charge may be sent again safely.
const chargeRequestOf = (row: PaymentRow) => ({
  reference: row.id,
  amount: Number(row.amount),
  currency: row.currency.trim(),
  paymentMethod: row.payment_method,
});

/** The event a settled payment emits (`payment.succeeded` / `payment.failed`); none while it is open. */
function resultEvent(p: Payment): { type: string; data: Record<string, unknown> } | undefined {
  const base = { payment_id: p.id, order_id: p.order_id, amount: p.amount, currency: p.currency };
  if (p.status === 'succeeded') {
    return {
      type: PAYMENT_EVENT_TYPES.succeeded,
      data: { ...base, provider: p.provider, provider_ref: p.provider_ref },
    };
  }
  if (p.status === 'failed') {
    return {
      type: PAYMENT_EVENT_TYPES.failed,
      data: { ...base, failure_code: p.failure_code ?? 'failed', failure_message: p.failure_message },
    };
  }
  return undefined;
}

/** Fingerprint of a request body, to tell a retry (same body) from a reused key (different body). */
export const requestHash = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

export interface PaymentsServiceDeps {
  pool: pg.Pool;
  provider: PaymentProvider;
  outbox: Outbox;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  now?: () => Date;
}

/** Payment intents, provider outcomes (sync, webhook, recovery) and refunds. */
export class PaymentsService {
  private readonly repo = new PaymentsRepository();
  private readonly now: () => Date;

  constructor(private readonly deps: PaymentsServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Creates and charges a payment. Idempotent per key: the same key and body returns the stored
   * payment (`created: false`), a different body is 422. A second payment for an order that has
   * one in flight or captured is 409, so an order is captured at most once.
   */
  async create(
    input: CreatePaymentInput,
    idempotencyKey: string,
  ): Promise<{ payment: Payment; created: boolean }> {
    const hash = requestHash({
      order_id: input.order_id,
      amount: input.amount,
      currency: input.currency,
      payment_method: input.payment_method,
    });
    const row = await this.repo.insertProcessing(this.deps.pool, {
      id: randomUUID(),
      orderId: input.order_id,
      idempotencyKey,
      requestHash: hash,
      amount: input.amount,
      currency: input.currency,
      paymentMethod: input.payment_method,
      provider: this.deps.provider.name,
    });
    if (!row) {
      const existing = await this.repo.findByIdempotencyKey(this.deps.pool, idempotencyKey);
      if (!existing) throw orderAlreadyHasPayment(input.order_id);
      if (existing.request_hash !== hash) throw idempotencyKeyReused();
      return { payment: toPayment(existing), created: false };
    }
    const payment = await this.charge(row);
    return { payment, created: true };
  }

  async get(id: string): Promise<Payment> {
    const row = await this.repo.findById(this.deps.pool, id);
    if (!row) throw paymentNotFound(id);
    return toPayment(row);
  }

  async list(filter: { orderId?: string; limit: number; offset: number }): Promise<Payment[]> {
    const rows = filter.orderId
      ? await this.repo.listByOrder(this.deps.pool, filter.orderId)
      : await this.repo.list(this.deps.pool, filter.limit, filter.offset);
    return rows.map(toPayment);
  }

  async listRefunds(paymentId: string): Promise<Refund[]> {
    await this.get(paymentId);
    return (await this.repo.listRefunds(this.deps.pool, paymentId)).map(toRefund);
  }

  /** Applies a provider outcome (charge answer, webhook or recovery) once, with its event. */
  async applyOutcome(
    paymentId: string,
    result: ChargeResult,
    tx?: pg.PoolClient,
  ): Promise<Payment | undefined> {
    const run = async (db: pg.PoolClient) => {
      const updated = await this.repo.applyOutcome(db, paymentId, {
        status: result.status,
        providerRef: result.providerRef,
        ...(result.status === 'failed'
          ? { failureCode: result.failureCode, failureMessage: result.failureMessage }
          : {}),
      });
      if (!updated) return undefined;
      const p = toPayment(updated);
      const event = resultEvent(p);
      if (event) {
        await this.deps.outbox.enqueue(db, {
          stream: EVENT_STREAMS.payments,
          aggregateId: p.order_id,
          ...event,
        });
      }
      return p;
    };
    return tx ? run(tx) : withTransaction(this.deps.pool, run);
  }

  /**
   * Resolves payments left `processing` by a process that died mid-charge: asks the provider for
   * its record (charging again is safe, the provider is idempotent on the payment id) and applies it.
   */
  async recoverStuck(olderThanMs: number): Promise<number> {
    const cutoff = new Date(this.now().getTime() - olderThanMs);
    return withTransaction(this.deps.pool, async (tx) => {
      const stuck = await this.repo.lockStuckProcessing(tx, cutoff, 20);
      for (const row of stuck) {
        let result: ChargeResult;
        try {
          result =
            (await this.deps.provider.findCharge(row.id)) ??
            (await this.deps.provider.charge(chargeRequestOf(row)));
        } catch (err) {
          result = this.providerFailure(err);
        }
        await this.applyOutcome(row.id, result, tx);
        this.deps.logger.info({ payment_id: row.id, status: result.status }, 'recovered a stuck payment');
      }
      return stuck.length;
    });
  }

  /**
   * Full (no amount) or partial refund, idempotent per (payment, key), never above the captured
   * amount: the payment row is locked while the refund is decided and recorded.
   */
  async refund(
    paymentId: string,
    input: { amount?: number | undefined; reason?: string | undefined },
    idempotencyKey: string,
  ): Promise<{ refund: Refund; payment: Payment; created: boolean }> {
    const hash = requestHash({ amount: input.amount ?? null, reason: input.reason ?? null });
    return withTransaction(this.deps.pool, async (tx) => {
      const payment = await this.repo.findById(tx, paymentId, true);
      if (!payment) throw paymentNotFound(paymentId);
      const existing = await this.repo.findRefund(tx, paymentId, idempotencyKey);
      if (existing) {
        if (existing.request_hash !== hash) throw idempotencyKeyReused();
        return { refund: toRefund(existing), payment: toPayment(payment), created: false };
      }
      if (!['succeeded', 'partially_refunded'].includes(payment.status) || !payment.provider_ref) {
        throw notRefundable(payment.status);
      }
      const remaining = Number(payment.amount) - Number(payment.refunded_amount);
      const amount = input.amount ?? remaining;
      if (amount <= 0 || amount > remaining) throw refundExceedsCaptured(remaining);
      const refundId = randomUUID();
      let providerResult: { status: 'succeeded' | 'failed'; providerRef: string };
      try {
        providerResult = await this.deps.provider.refund({
          reference: refundId,
          chargeRef: payment.provider_ref,
          amount,
          currency: payment.currency.trim(),
        });
      } catch (err) {
        throw providerUnavailable((err as Error).message);
      }
      const refund = await this.repo.insertRefund(tx, {
        id: refundId,
        paymentId,
        idempotencyKey,
        requestHash: hash,
        amount,
        currency: payment.currency.trim(),
        status: providerResult.status,
        providerRef: providerResult.providerRef,
        reason: input.reason ?? null,
      });
      if (providerResult.status !== 'succeeded') {
        return { refund: toRefund(refund), payment: toPayment(payment), created: true };
      }
      const updated = toPayment(await this.repo.addRefunded(tx, paymentId, amount));
      await this.deps.outbox.enqueue(tx, {
        stream: EVENT_STREAMS.payments,
        type: PAYMENT_EVENT_TYPES.refunded,
        aggregateId: updated.order_id,
        data: {
          payment_id: updated.id,
          order_id: updated.order_id,
          refund_id: refund.id,
          amount,
          currency: updated.currency,
          refunded_total: updated.refunded_amount,
          fully_refunded: updated.status === 'refunded',
        },
      });
      return { refund: toRefund(refund), payment: updated, created: true };
    });
  }

  /** Applies a verified provider webhook once per provider event id. */
  async handleWebhook(event: {
    id: string;
    type: string;
    data: { reference: string; charge_id: string; status: string };
  }): Promise<{ duplicate: boolean; payment?: Payment }> {
    return withTransaction(this.deps.pool, async (tx) => {
      const fresh = await this.repo.recordWebhookEvent(tx, this.deps.provider.name, event.id, event.type);
      if (!fresh) return { duplicate: true };
      const result: ChargeResult =
        event.type === 'charge.succeeded'
          ? { status: 'succeeded', providerRef: event.data.charge_id }
          : {
              status: 'failed',
              providerRef: event.data.charge_id,
              failureCode: 'provider_declined',
              failureMessage: 'The provider reported the charge as failed',
            };
      const payment = await this.applyOutcome(event.data.reference, result, tx);
      return payment ? { duplicate: false, payment } : { duplicate: false };
    });
  }

  private async charge(row: PaymentRow): Promise<Payment> {
    let result: ChargeResult;
    try {
      result = await this.deps.provider.charge(chargeRequestOf(row));
    } catch (err) {
      // Outcome unknown to the caller: 502, the payment stays processing and recovery settles it.
      if (err instanceof ProviderOutageError) throw providerUnavailable(err.message);
      result = this.providerFailure(err);
    }
    const applied = await this.applyOutcome(row.id, result);
    return applied ?? toPayment((await this.repo.findById(this.deps.pool, row.id))!);
  }

  // The sandbox's tok_error never charges, so a provider 5xx is a failed payment (with its event);
  // a real provider that might have charged anyway is caught by reconciliation as "missing".
  private providerFailure(err: unknown): ChargeResult {
    if (!(err instanceof ProviderError)) throw err;
    this.deps.logger.warn({ err }, 'payment provider error');
    return {
      status: 'failed',
      providerRef: null,
      failureCode: 'provider_error',
      failureMessage: 'The payment provider is unavailable',
    };
  }
}
