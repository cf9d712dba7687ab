// The checkout saga's branches with fake clients and an in-memory repository (no database, no
// network): what each answer of the product and payment services does to the order, its events and
// the calls made.
import { ORDER_EVENT_TYPES } from '@shop/contracts';
import { DomainError } from '@shop/service-kit';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkoutFingerprint } from '../src/modules/orders/checkout.fingerprint.js';
import { createOrdersService, type OrdersService } from '../src/modules/orders/orders.service.js';
import {
  type FakeOrdersRepository,
  type FakePaymentClient,
  type FakeProductClient,
  fakeLogger,
  fakeOrdersRepository,
  fakePaymentClient,
  fakeProductClient,
} from './fakes.js';

const ALICE = { id: '00000000-0000-4000-8000-00000000000a', role: 'customer' };
const REQUEST = { items: [{ product_id: 1, quantity: 2 }], payment_method: 'tok_success' };
const PAYMENT_ID = '5e000000-0000-4000-8000-000000000001';
const NOW = new Date('2026-01-01T12:00:00Z');

let repository: FakeOrdersRepository;
let products: FakeProductClient;
let payments: FakePaymentClient;
let logger: ReturnType<typeof fakeLogger>;
let orders: OrdersService;

beforeEach(() => {
  repository = fakeOrdersRepository();
  products = fakeProductClient();
  payments = fakePaymentClient();
  logger = fakeLogger();
  orders = createOrdersService({
    repository,
    products,
    payments,
    paymentTtlSeconds: 900,
    reservationMarginSeconds: 300,
    logger,
    now: () => NOW,
  });
});

/** The domain error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

const eventTypes = () => repository.events.map((e) => e.type);

describe('placing an order', () => {
  it('reserves the stock, prices the order from the reservation and creates its payment (201)', async () => {
    const { order, created } = await orders.place(ALICE, REQUEST, 'k1');
    expect(created).toBe(true);
    expect(order).toMatchObject({
      user_id: ALICE.id,
      status: 'AWAITING_PAYMENT',
      total_amount: 2500,
      currency: 'USD',
      payment_id: PAYMENT_ID,
      expires_at: new Date(NOW.getTime() + 900_000).toISOString(),
      items: [{ product_id: 1, quantity: 2, unit_price: 1250, line_total: 2500, name: 'Product 1' }],
    });
    // The reservation outlives the order's payment TTL by the margin; the payment is keyed by the order.
    expect(products.calls).toEqual([{ orderId: order.id, items: REQUEST.items, ttlSeconds: 1200 }]);
    expect(payments.created).toEqual([
      { id: order.id, amount: 2500, currency: 'USD', paymentMethod: 'tok_success' },
    ]);
    expect(repository.rows.get(order.id)?.request_hash).toBe(checkoutFingerprint(REQUEST));
    expect(repository.events).toEqual([]);
  });

  it('merges lines naming the same product before reserving', async () => {
    const body = {
      items: [
        { product_id: 2, quantity: 1 },
        { product_id: 1, quantity: 1 },
        { product_id: 2, quantity: 3 },
      ],
      payment_method: 'tok_success',
    };
    await orders.place(ALICE, body, undefined);
    expect(products.calls[0]?.items).toEqual([
      { product_id: 1, quantity: 1 },
      { product_id: 2, quantity: 4 },
    ]);
  });

  it('marks the order PAID and emits order.paid when the payment succeeds', async () => {
    const { order } = await orders.place(ALICE, REQUEST, 'k1');
    await orders.onPaymentSucceeded(
      {
        payment_id: PAYMENT_ID,
        order_id: order.id,
        amount: 2500,
        currency: 'USD',
        provider: 'sandbox',
        provider_ref: 'ch_1',
      },
      repository,
    );
    expect(repository.rows.get(order.id)?.status).toBe('PAID');
    expect(repository.events).toEqual([
      {
        type: ORDER_EVENT_TYPES.paid,
        aggregateId: order.id,
        data: {
          order_id: order.id,
          user_id: ALICE.id,
          payment_id: PAYMENT_ID,
          total: 2500,
          currency: 'USD',
          items: [{ product_id: 1, quantity: 2 }],
        },
      },
    ]);
  });
});

describe('the product service rejects the reservation', () => {
  it('insufficient stock: 409 ORDER.OUT_OF_STOCK, the order never existed, no payment', async () => {
    products.answer = {
      kind: 'out_of_stock',
      problem: { detail: 'only 1 left', errors: [{ pointer: '/items/0', detail: 'only 1 left' }] },
    };
    const err = await failure(orders.place(ALICE, REQUEST, 'k1'));
    expect(err).toMatchObject({ status: 409, code: 'ORDER.OUT_OF_STOCK', detail: 'only 1 left' });
    expect(err.errors).toEqual([{ pointer: '/items/0', detail: 'only 1 left' }]);
    expect(repository.rows.size).toBe(0);
    expect(payments.created).toEqual([]);
    expect(repository.events).toEqual([]);
  });

  it('a product that cannot be ordered: 422, the order never existed', async () => {
    products.answer = { kind: 'not_orderable', problem: { code: 'INVENTORY.CURRENCY_MISMATCH' } };
    const err = await failure(orders.place(ALICE, REQUEST, 'k1'));
    expect(err).toMatchObject({ status: 422, code: 'ORDER.CURRENCY_MISMATCH' });
    expect(repository.rows.size).toBe(0);
    expect(payments.created).toEqual([]);
  });
});

describe('the product service is unavailable', () => {
  it('answers 503 and keeps the order PENDING; a retry with the same key resumes it (200)', async () => {
    products.answer = 'unavailable';
    const err = await failure(orders.place(ALICE, REQUEST, 'k1'));
    expect(err).toMatchObject({ status: 503, code: 'ORDER.DEPENDENCY_UNAVAILABLE' });
    expect(err.headers).toEqual({ 'Retry-After': '2' });
    const [pending] = [...repository.rows.values()];
    expect(pending?.status).toBe('PENDING');
    expect(payments.created).toEqual([]);

    products.answer = 'reserved';
    const { order, created } = await orders.place(ALICE, REQUEST, 'k1');
    expect(created).toBe(false);
    expect(order).toMatchObject({ id: pending?.id, status: 'AWAITING_PAYMENT', payment_id: PAYMENT_ID });
    // Same order id both times: the product service's reservation is idempotent per order.
    expect(products.calls.map((c) => c.orderId)).toEqual([pending?.id, pending?.id]);
    expect(repository.inserts).toBe(1);
  });
});

describe('the payment service', () => {
  it('declines the payment: PAYMENT_FAILED and order.payment_failed, which releases the stock', async () => {
    payments.answer = { kind: 'rejected', reason: 'payment_rejected_422', body: { code: 'PAYMENT.X' } };
    const { order, created } = await orders.place(ALICE, REQUEST, 'k1');
    expect(created).toBe(true);
    expect(order).toMatchObject({ status: 'PAYMENT_FAILED', failure_reason: 'payment_rejected_422' });
    expect(repository.events).toEqual([
      {
        type: ORDER_EVENT_TYPES.paymentFailed,
        aggregateId: order.id,
        data: {
          order_id: order.id,
          user_id: ALICE.id,
          reason: 'payment_rejected_422',
          refunded: false,
          items: [{ product_id: 1, quantity: 2 }],
        },
      },
    ]);
    expect(logger.lines.map((l) => l.msg)).toEqual(['payment rejected']);
  });

  it('reports a failed payment by event: PAYMENT_FAILED and the stock is released, once', async () => {
    const { order } = await orders.place(ALICE, REQUEST, 'k1');
    const failed = {
      payment_id: PAYMENT_ID,
      order_id: order.id,
      amount: 2500,
      currency: 'USD',
      failure_code: 'card_declined',
      failure_message: null,
    };
    await orders.onPaymentFailed(failed, repository);
    await orders.onPaymentFailed(failed, repository);
    expect(repository.rows.get(order.id)).toMatchObject({
      status: 'PAYMENT_FAILED',
      failure_reason: 'card_declined',
    });
    expect(eventTypes()).toEqual([ORDER_EVENT_TYPES.paymentFailed]);
  });

  it('unreachable or failing (provider error): 503, AWAITING_PAYMENT without payment; a retry pays without reserving again', async () => {
    payments.answer = { kind: 'unavailable' };
    const err = await failure(orders.place(ALICE, REQUEST, 'k1'));
    expect(err).toMatchObject({ status: 503, code: 'ORDER.DEPENDENCY_UNAVAILABLE' });
    const [waiting] = [...repository.rows.values()];
    expect(waiting).toMatchObject({ status: 'AWAITING_PAYMENT', payment_id: null });
    expect(repository.events).toEqual([]);

    payments.answer = { kind: 'created', paymentId: PAYMENT_ID };
    const { order, created } = await orders.place(ALICE, REQUEST, 'k1');
    expect({ id: order.id, created, payment_id: order.payment_id }).toEqual({
      id: waiting?.id,
      created: false,
      payment_id: PAYMENT_ID,
    });
    expect(products.calls).toHaveLength(1);
    expect(payments.created).toHaveLength(2);
  });

  it('already has a payment for the order (409): the order keeps waiting for that payment’s event', async () => {
    payments.answer = { kind: 'already_paid', body: { code: 'PAYMENT.ORDER_ALREADY_PAID' } };
    const { order } = await orders.place(ALICE, REQUEST, 'k1');
    expect(order).toMatchObject({ status: 'AWAITING_PAYMENT', payment_id: null });
    expect(repository.events).toEqual([]);
    expect(logger.lines.map((l) => l.msg)).toEqual(['order already has a payment']);
  });
});

describe('idempotent replays', () => {
  it('resumes the order of an earlier request with the same key and body instead of placing another', async () => {
    const first = await orders.place(ALICE, REQUEST, 'k1');
    const again = await orders.place(ALICE, REQUEST, 'k1');
    expect(again).toEqual({ order: first.order, created: false });
    expect(repository.inserts).toBe(1);
    // Nothing left to do: neither reserved nor paid twice.
    expect(products.calls).toHaveLength(1);
    expect(payments.created).toHaveLength(1);
  });

  it('answers 422 for the same key with another body, and leaves the order alone', async () => {
    const first = await orders.place(ALICE, REQUEST, 'k1');
    const other = { items: [{ product_id: 1, quantity: 3 }], payment_method: 'tok_success' };
    const err = await failure(orders.place(ALICE, other, 'k1'));
    expect(err).toMatchObject({ status: 422, code: 'ORDER.IDEMPOTENCY_KEY_REUSED' });
    expect(await orders.get(first.order.id)).toEqual(first.order);
  });

  it('places a new order for every request without a key', async () => {
    const a = await orders.place(ALICE, REQUEST, undefined);
    const b = await orders.place(ALICE, REQUEST, undefined);
    expect(a.order.id).not.toBe(b.order.id);
    expect(repository.inserts).toBe(2);
  });
});

describe('expiry', () => {
  it('expires unpaid orders past their TTL and emits order.expired so the stock is released', async () => {
    products.answer = 'unavailable';
    await failure(orders.place(ALICE, REQUEST, 'pending'));
    products.answer = 'reserved';
    payments.answer = { kind: 'unavailable' };
    await failure(orders.place(ALICE, REQUEST, 'awaiting'));
    const [pending, awaiting] = [...repository.rows.values()];

    // Not due yet.
    expect(await orders.expireDue()).toBe(0);
    for (const row of repository.rows.values()) row.expires_at = new Date(NOW.getTime() - 1);

    expect(await orders.expireDue()).toBe(2);
    expect(repository.rows.get(pending!.id)).toMatchObject({
      status: 'EXPIRED',
      failure_reason: 'payment_timeout',
    });
    expect(repository.rows.get(awaiting!.id)?.status).toBe('EXPIRED');
    expect(repository.events.map((e) => [e.type, e.aggregateId, e.data.items])).toEqual([
      [ORDER_EVENT_TYPES.expired, pending!.id, [{ product_id: 1, quantity: 2 }]],
      [ORDER_EVENT_TYPES.expired, awaiting!.id, [{ product_id: 1, quantity: 2 }]],
    ]);
    expect(await orders.expireDue()).toBe(0);
  });

  it('refunds a payment captured after the order expired; a failing refund rolls back for a retry', async () => {
    const { order } = await orders.place(ALICE, REQUEST, 'k1');
    repository.rows.get(order.id)!.expires_at = new Date(NOW.getTime() - 1);
    await orders.expireDue();
    const late = {
      payment_id: PAYMENT_ID,
      order_id: order.id,
      amount: 2500,
      currency: 'USD',
      provider: 'sandbox',
      provider_ref: null,
    };

    payments.refundAnswer = { kind: 'unavailable', reason: 'answered 503' };
    await expect(repository.transaction((tx) => orders.onPaymentSucceeded(late, tx))).rejects.toThrow(
      `refund of late payment ${PAYMENT_ID} answered 503`,
    );
    expect(repository.rows.get(order.id)?.failure_reason).toBe('payment_timeout');

    payments.refundAnswer = { kind: 'refunded' };
    await repository.transaction((tx) => orders.onPaymentSucceeded(late, tx));
    expect(repository.rows.get(order.id)).toMatchObject({
      status: 'EXPIRED',
      failure_reason: 'late_payment_refunded',
    });
    expect(payments.refunds.at(-1)).toEqual({
      paymentId: PAYMENT_ID,
      key: `late-${PAYMENT_ID}`,
      reason: 'order no longer payable',
    });
    expect(eventTypes()).toEqual([ORDER_EVENT_TYPES.expired]);
  });
});

describe('cancelling a paid order', () => {
  async function paidOrder() {
    const { order } = await orders.place(ALICE, REQUEST, 'k1');
    await repository.transition(order.id, ['AWAITING_PAYMENT'], 'PAID');
    return order;
  }

  it('refunds it through the payment service, then REFUNDED and order.cancelled (refunded: the stock goes back)', async () => {
    const order = await paidOrder();
    const cancelled = await orders.cancel(ALICE, order.id);
    expect(cancelled.status).toBe('REFUNDED');
    expect(payments.refunds).toEqual([
      { paymentId: PAYMENT_ID, key: `cancel-${order.id}`, reason: 'order cancelled' },
    ]);
    expect(repository.events.map((e) => [e.type, e.data.refunded])).toEqual([
      [ORDER_EVENT_TYPES.cancelled, true],
    ]);
  });

  it('answers 503 while the payment service is unavailable and leaves the order PAID', async () => {
    const order = await paidOrder();
    payments.refundAnswer = { kind: 'unavailable', reason: 'unreachable' };
    const err = await failure(orders.cancel(ALICE, order.id));
    expect(err).toMatchObject({ status: 503, code: 'ORDER.DEPENDENCY_UNAVAILABLE' });
    expect(repository.rows.get(order.id)?.status).toBe('PAID');
    expect(repository.events).toEqual([]);
  });

  it('answers 404 to another customer', async () => {
    const order = await paidOrder();
    const err = await failure(orders.cancel({ id: 'someone-else', role: 'customer' }, order.id));
    expect(err.status).toBe(404);
  });
});
