// The payments service's branches on fakes (no database, no provider): the repository and the
// provider are object literals satisfying their interfaces.
import { describe, expect, it } from 'vitest';
import {
  type ChargeResult,
  type PaymentProvider,
  ProviderError,
  ProviderOutageError,
} from '../src/modules/payments/payment-provider.js';
import type {
  PaymentRow,
  PaymentsRepository,
  PaymentsTransaction,
  RefundRow,
} from '../src/modules/payments/payments.repository.js';
import { createPaymentsService } from '../src/modules/payments/payments.service.js';

const LIVE = ['processing', 'pending', 'succeeded', 'partially_refunded', 'refunded'];

/** An in-memory repository with the constraints of the migration that the service relies on. */
function fakeRepository() {
  const payments = new Map<string, PaymentRow>();
  const refunds: RefundRow[] = [];
  const webhookEvents = new Set<string>();
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const at = new Date('2026-01-31T12:00:00Z');
  const byId = async (id: string) => payments.get(id);
  const update = (id: string, patch: Partial<PaymentRow>) => {
    const row = { ...payments.get(id)!, ...patch, updated_at: at };
    payments.set(id, row);
    return row;
  };
  const tx: PaymentsTransaction = {
    findById: byId,
    async applyOutcome(id, o) {
      const row = payments.get(id);
      if (!row || !['processing', 'pending'].includes(row.status)) return undefined;
      return update(id, {
        status: o.status,
        provider_ref: o.providerRef ?? row.provider_ref,
        failure_code: o.failureCode ?? null,
        failure_message: o.failureMessage ?? null,
        captured_at: o.status === 'succeeded' ? at : row.captured_at,
      });
    },
    lockStuckProcessing: async () => [...payments.values()].filter((p) => p.status === 'processing'),
    findRefund: async (paymentId, key) =>
      refunds.find((r) => r.payment_id === paymentId && r.idempotency_key === key),
    async insertRefund(r) {
      const row: RefundRow = {
        id: r.id,
        payment_id: r.paymentId,
        idempotency_key: r.idempotencyKey,
        request_hash: r.requestHash,
        amount: String(r.amount),
        currency: r.currency,
        status: r.status,
        provider_ref: r.providerRef,
        reason: r.reason,
        created_at: at,
      };
      refunds.push(row);
      return row;
    },
    async addRefunded(id, amount) {
      const row = payments.get(id)!;
      const total = Number(row.refunded_amount) + amount;
      const status = total >= Number(row.amount) ? 'refunded' : 'partially_refunded';
      return update(id, { refunded_amount: String(total), status });
    },
    async recordWebhookEvent(provider, eventId) {
      const key = `${provider}:${eventId}`;
      if (webhookEvents.has(key)) return false;
      webhookEvents.add(key);
      return true;
    },
    async enqueue(event) {
      events.push({ type: event.type, data: event.data });
    },
  };
  const repository: PaymentsRepository = {
    async insertProcessing(p) {
      const taken = [...payments.values()].some(
        (r) =>
          r.idempotency_key === p.idempotencyKey || (r.order_id === p.orderId && LIVE.includes(r.status)),
      );
      if (taken) return undefined;
      const row: PaymentRow = {
        id: p.id,
        order_id: p.orderId,
        idempotency_key: p.idempotencyKey,
        request_hash: p.requestHash,
        amount: String(p.amount),
        currency: p.currency,
        payment_method: p.paymentMethod,
        status: 'processing',
        provider: p.provider,
        provider_ref: null,
        failure_code: null,
        failure_message: null,
        refunded_amount: '0',
        captured_at: null,
        created_at: at,
        updated_at: at,
      };
      payments.set(row.id, row);
      return row;
    },
    findById: byId,
    findByIdempotencyKey: async (key) => [...payments.values()].find((p) => p.idempotency_key === key),
    listByOrder: async (orderId) => [...payments.values()].filter((p) => p.order_id === orderId),
    list: async () => [...payments.values()],
    listRefunds: async (paymentId) => refunds.filter((r) => r.payment_id === paymentId),
    ledgerEntries: async () => [],
    transaction: (work) => work(tx),
  };
  return { repository, payments, events };
}

function fakeProvider(charge: () => Promise<ChargeResult>): PaymentProvider {
  return {
    name: 'fake',
    charge,
    refund: async (r) => ({ status: 'succeeded', providerRef: `re_${r.reference}` }),
    findCharge: async () => null,
    listTransactions: async () => [],
  };
}

function setup(
  charge: () => Promise<ChargeResult> = async () => ({ status: 'succeeded', providerRef: 'ch_1' }),
) {
  const fake = fakeRepository();
  const service = createPaymentsService({
    payments: fake.repository,
    provider: fakeProvider(charge),
    logger: { info() {}, warn() {} },
    now: () => new Date('2026-01-31T12:00:00Z'),
  });
  return { ...fake, service };
}

const intent = { order_id: 'o-1', amount: 1000, currency: 'USD', payment_method: 'tok_success' };

describe('payments service (fakes)', () => {
  it('captures, emits payment.succeeded once, replays the same key and rejects a reused one', async () => {
    const { service, events } = setup();
    const first = await service.create(intent, 'k1');
    expect(first).toMatchObject({ created: true, payment: { status: 'succeeded', provider_ref: 'ch_1' } });
    expect((await service.create(intent, 'k1')).created).toBe(false);
    await expect(service.create({ ...intent, amount: 999 }, 'k1')).rejects.toMatchObject({
      code: 'PAYMENT.IDEMPOTENCY_KEY_REUSED',
    });
    await expect(service.create(intent, 'k2')).rejects.toMatchObject({ code: 'PAYMENT.ORDER_ALREADY_PAID' });
    expect(events.map((e) => e.type)).toEqual(['payment.succeeded']);
  });

  it('turns a provider error into a failed payment and a provider outage into 502 with the payment processing', async () => {
    const failing = setup(async () => {
      throw new ProviderError('503');
    });
    const failed = await failing.service.create(intent, 'k1');
    expect(failed.payment).toMatchObject({ status: 'failed', failure_code: 'provider_error' });
    expect(failing.events.map((e) => e.type)).toEqual(['payment.failed']);

    const down = setup(async () => {
      throw new ProviderOutageError('flag');
    });
    await expect(down.service.create(intent, 'k1')).rejects.toMatchObject({
      status: 502,
      code: 'PAYMENT.PROVIDER_ERROR',
    });
    expect([...down.payments.values()].map((p) => p.status)).toEqual(['processing']);
    expect(down.events).toEqual([]);
  });

  it('applies a webhook once per provider event id', async () => {
    const { service, events } = setup(async () => ({ status: 'pending', providerRef: 'ch_async' }));
    const { payment } = await service.create(intent, 'k1');
    expect(payment.status).toBe('pending');
    const event = {
      id: 'evt_1',
      type: 'charge.succeeded' as const,
      data: { reference: payment.id, charge_id: 'ch_async', status: 'succeeded' },
    };
    expect((await service.handleWebhook(event)).payment?.status).toBe('succeeded');
    expect(await service.handleWebhook(event)).toEqual({ duplicate: true });
    expect(events.map((e) => e.type)).toEqual(['payment.succeeded']);
  });

  it('refunds partially, then the rest, never above the captured amount', async () => {
    const { service, events } = setup();
    const { payment } = await service.create(intent, 'k1');
    const part = await service.refund(payment.id, { amount: 300 }, 'r1');
    expect(part.payment).toMatchObject({ status: 'partially_refunded', refunded_amount: 300 });
    await expect(service.refund(payment.id, { amount: 701 }, 'r2')).rejects.toMatchObject({
      code: 'PAYMENT.REFUND_EXCEEDS_CAPTURED',
    });
    const rest = await service.refund(payment.id, {}, 'r3');
    expect(rest).toMatchObject({ created: true, refund: { amount: 700 }, payment: { status: 'refunded' } });
    await expect(service.refund(payment.id, { amount: 1 }, 'r4')).rejects.toMatchObject({
      code: 'PAYMENT.NOT_REFUNDABLE',
    });
    expect(events.filter((e) => e.type === 'payment.refunded').map((e) => e.data.fully_refunded)).toEqual([
      false,
      true,
    ]);
  });
});
