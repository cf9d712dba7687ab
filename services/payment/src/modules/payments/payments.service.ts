// Payment intents and refunds: what the routes in payments.routes.ts call. How a charge's outcome
// is applied (provider answer, webhook, recovery) lives in payment-settlement.ts.
import { randomUUID } from 'node:crypto';
import { EVENT_STREAMS, PAYMENT_EVENT_TYPES } from '@shop/contracts';
import type { ChargeResult, PaymentProvider } from './payment-provider.js';
import { createPaymentSettlement, type PaymentSettlement } from './payment-settlement.js';
import {
  idempotencyKeyReused,
  notRefundable,
  orderAlreadyHasPayment,
  paymentNotFound,
  providerUnavailable,
  refundExceedsCaptured,
} from './payments.errors.js';
import {
  type CreatePaymentInput,
  type Payment,
  type PaymentsLogger,
  type Refund,
  requestHash,
  toPayment,
  toRefund,
} from './payments.model.js';
import type { PaymentRow, PaymentsRepository } from './payments.repository.js';

export type { CreatePaymentInput, Payment, Refund } from './payments.model.js';

export interface RefundInput {
  amount?: number | undefined;
  reason?: string | undefined;
}

/** Payment intents, provider outcomes (sync, webhook, recovery) and refunds. */
export interface PaymentsService {
  /**
   * Creates and charges a payment. Idempotent per key: the same key and body returns the stored
   * payment (`created: false`), a different body is 422. A second payment for an order that has
   * one in flight or captured is 409, so an order is captured at most once.
   */
  create(input: CreatePaymentInput, idempotencyKey: string): Promise<{ payment: Payment; created: boolean }>;
  get(id: string): Promise<Payment>;
  list(filter: { orderId?: string | undefined; limit: number; offset: number }): Promise<Payment[]>;
  listRefunds(paymentId: string): Promise<Refund[]>;
  /**
   * Full (no amount) or partial refund, idempotent per (payment, key), never above the captured
   * amount: the payment row is locked while the refund is decided and recorded.
   */
  refund(
    paymentId: string,
    input: RefundInput,
    idempotencyKey: string,
  ): Promise<{ refund: Refund; payment: Payment; created: boolean }>;
  /** Applies a provider outcome (charge answer, webhook or recovery) once, with its event. */
  applyOutcome(paymentId: string, result: ChargeResult): Promise<Payment | undefined>;
  recoverStuck: PaymentSettlement['recoverStuck'];
  handleWebhook: PaymentSettlement['handleWebhook'];
}

export interface PaymentsServiceDeps {
  payments: PaymentsRepository;
  provider: PaymentProvider;
  logger: PaymentsLogger;
  now: () => Date;
}

/** Step 1 of POST /api/v1/payments: record the intent (`processing`) once per key and order. */
async function createPayment(
  deps: PaymentsServiceDeps,
  settlement: PaymentSettlement,
  input: CreatePaymentInput,
  idempotencyKey: string,
): Promise<{ payment: Payment; created: boolean }> {
  const hash = requestHash({
    order_id: input.order_id,
    amount: input.amount,
    currency: input.currency,
    payment_method: input.payment_method,
  });
  const row = await deps.payments.insertProcessing({
    id: randomUUID(),
    orderId: input.order_id,
    idempotencyKey,
    requestHash: hash,
    amount: input.amount,
    currency: input.currency,
    paymentMethod: input.payment_method,
    provider: deps.provider.name,
  });
  if (!row) {
    const existing = await deps.payments.findByIdempotencyKey(idempotencyKey);
    if (!existing) throw orderAlreadyHasPayment(input.order_id);
    if (existing.request_hash !== hash) throw idempotencyKeyReused();
    return { payment: toPayment(existing), created: false };
  }
  // Step 2: charge it at the provider and apply the answer (payment-settlement.ts).
  return { payment: await settlement.charge(row), created: true };
}

/** How much of `payment` a refund of `requested` (undefined: all that is left) takes back. */
function refundableAmount(payment: PaymentRow, requested: number | undefined): number {
  if (!['succeeded', 'partially_refunded'].includes(payment.status) || !payment.provider_ref) {
    throw notRefundable(payment.status);
  }
  const remaining = Number(payment.amount) - Number(payment.refunded_amount);
  const amount = requested ?? remaining;
  if (amount <= 0 || amount > remaining) throw refundExceedsCaptured(remaining);
  return amount;
}

async function refundAtProvider(
  provider: PaymentProvider,
  refundId: string,
  payment: PaymentRow,
  amount: number,
) {
  try {
    return await provider.refund({
      reference: refundId,
      chargeRef: payment.provider_ref!,
      amount,
      currency: payment.currency.trim(),
    });
  } catch (err) {
    throw providerUnavailable((err as Error).message);
  }
}

const refundedEvent = (payment: Payment, refundId: string, amount: number) => ({
  stream: EVENT_STREAMS.payments,
  type: PAYMENT_EVENT_TYPES.refunded,
  aggregateId: payment.order_id,
  data: {
    payment_id: payment.id,
    order_id: payment.order_id,
    refund_id: refundId,
    amount,
    currency: payment.currency,
    refunded_total: payment.refunded_amount,
    fully_refunded: payment.status === 'refunded',
  },
});

function refundPayment(
  deps: PaymentsServiceDeps,
  paymentId: string,
  input: RefundInput,
  idempotencyKey: string,
) {
  const hash = requestHash({ amount: input.amount ?? null, reason: input.reason ?? null });
  return deps.payments.transaction(async (tx) => {
    const payment = await tx.findById(paymentId, { forUpdate: true });
    if (!payment) throw paymentNotFound(paymentId);
    const existing = await tx.findRefund(paymentId, idempotencyKey);
    if (existing) {
      if (existing.request_hash !== hash) throw idempotencyKeyReused();
      return { refund: toRefund(existing), payment: toPayment(payment), created: false };
    }
    const amount = refundableAmount(payment, input.amount);
    const refundId = randomUUID();
    const answer = await refundAtProvider(deps.provider, refundId, payment, amount);
    const refund = await tx.insertRefund({
      id: refundId,
      paymentId,
      idempotencyKey,
      requestHash: hash,
      amount,
      currency: payment.currency.trim(),
      status: answer.status,
      providerRef: answer.providerRef,
      reason: input.reason ?? null,
    });
    if (answer.status !== 'succeeded') {
      return { refund: toRefund(refund), payment: toPayment(payment), created: true };
    }
    const updated = toPayment(await tx.addRefunded(paymentId, amount));
    await tx.enqueue(refundedEvent(updated, refund.id, amount));
    return { refund: toRefund(refund), payment: updated, created: true };
  });
}

export function createPaymentsService(deps: PaymentsServiceDeps): PaymentsService {
  const settlement = createPaymentSettlement(deps);
  const get = async (id: string) => {
    const row = await deps.payments.findById(id);
    if (!row) throw paymentNotFound(id);
    return toPayment(row);
  };
  return {
    create: (input, idempotencyKey) => createPayment(deps, settlement, input, idempotencyKey),
    get,
    async list({ orderId, limit, offset }) {
      const rows = orderId
        ? await deps.payments.listByOrder(orderId)
        : await deps.payments.list(limit, offset);
      return rows.map(toPayment);
    },
    async listRefunds(paymentId) {
      await get(paymentId);
      return (await deps.payments.listRefunds(paymentId)).map(toRefund);
    },
    refund: (paymentId, input, idempotencyKey) => refundPayment(deps, paymentId, input, idempotencyKey),
    applyOutcome: settlement.applyOutcome,
    recoverStuck: settlement.recoverStuck,
    handleWebhook: settlement.handleWebhook,
  };
}
