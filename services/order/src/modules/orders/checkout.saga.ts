import { randomUUID } from 'node:crypto';
import { ORDER_EVENT_TYPES } from '@shop/contracts';
import type { AuthUser } from '@shop/service-kit/auth';
import { checkoutFingerprint, type OrderLine, orderLines } from './checkout.fingerprint.js';
import { releaseOrder } from './order-events.js';
import {
  dependencyUnavailable,
  idempotencyKeyReused,
  outOfStock,
  productUnavailable,
} from './orders.errors.js';
import { loadOrder, type Order, type OrdersLogger, toOrder } from './orders.model.js';
import type { OrderItemRow, OrderRow, OrdersRepository } from './orders.repository.js';
import type { CreateOrderInput } from './orders.schemas.js';
import type { PaymentClient } from './payment.client.js';
import type { ProductClient } from './product.client.js';

export interface CheckoutDeps {
  repository: OrdersRepository;
  products: ProductClient;
  payments: PaymentClient;
  paymentTtlSeconds: number;
  reservationMarginSeconds: number;
  logger: OrdersLogger;
  now: () => Date;
}

export interface CheckoutSaga {
  /**
   * Places an order (or resumes the one placed earlier with the same Idempotency-Key, so a retry
   * after a 503 continues the saga instead of reserving twice). `created` tells 201 from 200.
   */
  place(user: AuthUser, input: CreateOrderInput, idempotencyKey: string | undefined): Promise<PlacedOrder>;
}

export interface PlacedOrder {
  order: Order;
  created: boolean;
}

/**
 * The checkout saga: PENDING → reserve stock (product) → priced, AWAITING_PAYMENT → create the
 * payment (payment, key = order id). The payment's event settles the order later
 * (`payment-results.ts`); the expiry sweeper ends the orders nobody pays (`order-expiry.ts`).
 *
 * Each step is idempotent per order id, so the order row remembers (user, Idempotency-Key) and its
 * request fingerprint: a retry after a 503 resumes the step that failed instead of starting over.
 * (The route's Redis record answers replays and concurrent duplicates; this row survives it.)
 */
export function createCheckoutSaga(deps: CheckoutDeps): CheckoutSaga {
  const { repository } = deps;

  async function place(
    user: AuthUser,
    input: CreateOrderInput,
    key: string | undefined,
  ): Promise<PlacedOrder> {
    const items = orderLines(input.items);
    const requestHash = checkoutFingerprint(input);
    // Insert first: a new order (the usual case) is one round trip; the insert writes nothing when
    // the (user, key) pair has an order already, which is then looked up and resumed.
    const row = await repository.insertPending({
      id: randomUUID(),
      userId: user.id,
      paymentMethod: input.payment_method,
      idempotencyKey: key ?? null,
      requestHash,
      expiresAt: new Date(deps.now().getTime() + deps.paymentTtlSeconds * 1000),
      items,
    });
    if (row) return { order: await resume(deps, row, items), created: true };
    // A retry, or a concurrent request with the same key that inserted first (its insert committed
    // before ours returned): continue that order. Gone meanwhile (a rejected order is deleted): again.
    const existing = key ? await repository.findByIdempotencyKey(user.id, key) : undefined;
    if (!existing) return place(user, input, key);
    if (existing.request_hash !== requestHash) throw idempotencyKeyReused();
    return { order: await resume(deps, existing, items), created: false };
  }

  return { place };
}

/** Runs the steps the order has not passed yet. */
async function resume(deps: CheckoutDeps, row: OrderRow, items: OrderLine[]): Promise<Order> {
  let order = row;
  if (order.status === 'PENDING') order = await reserveStock(deps, order, items);
  if (order.status === 'AWAITING_PAYMENT' && !order.payment_id) {
    // The order as it was recorded with its payment, when this request recorded it.
    const recorded = await requestPayment(deps, order);
    if (recorded) return toOrder(recorded.row, recorded.items);
  }
  return loadOrder(deps.repository, order.id);
}

/** Step 1: all lines reserved (and priced) or nothing; a rejected order never existed. */
async function reserveStock(
  { repository, products, ...deps }: CheckoutDeps,
  order: OrderRow,
  items: OrderLine[],
): Promise<OrderRow> {
  const ttl = deps.paymentTtlSeconds + deps.reservationMarginSeconds;
  const outcome = await products.reserve(order.id, items, ttl);
  switch (outcome.kind) {
    case 'unavailable':
      // Maybe reserved, maybe not: the order stays PENDING for a retry with the same key (or expiry).
      throw dependencyUnavailable('product', order.id);
    case 'out_of_stock':
      await repository.deletePending(order.id);
      throw outOfStock(outcome.problem.errors, outcome.problem.detail);
    case 'not_orderable':
      await repository.deletePending(order.id);
      throw productUnavailable(outcome.problem.code ?? '', outcome.problem.detail, outcome.problem.errors);
    case 'reserved': {
      const { reservation } = outcome;
      const lines = reservation.items.map(({ product_id, quantity, unit_price, line_total, name, sku }) => ({
        product_id,
        quantity,
        unit_price,
        line_total,
        name,
        sku,
      }));
      const priced = await repository.markPriced(
        order.id,
        lines,
        reservation.total_amount,
        reservation.currency,
      );
      // Not PENDING any more: someone else moved it meanwhile; go on from where it is.
      return priced ?? (await repository.findById(order.id)) ?? order;
    }
  }
}

/**
 * Step 2: the payment, for the reserved total; a refusal ends the order and releases its stock.
 * Returns the order with its lines when it recorded the payment id.
 */
async function requestPayment(
  { repository, payments, logger }: CheckoutDeps,
  order: OrderRow,
): Promise<{ row: OrderRow; items: OrderItemRow[] } | undefined> {
  const outcome = await payments.create({
    id: order.id,
    amount: Number(order.total_amount),
    currency: order.currency?.trim() ?? '',
    paymentMethod: order.payment_method,
  });
  switch (outcome.kind) {
    case 'created':
      return repository.setPaymentId(order.id, outcome.paymentId);
    case 'unavailable':
      // Outcome unknown: the payment event (if any) or the expiry sweeper settles the order.
      throw dependencyUnavailable('payment', order.id);
    case 'already_paid':
      logger.warn({ order_id: order.id, body: outcome.body }, 'order already has a payment');
      return undefined;
    case 'rejected':
      logger.warn({ order_id: order.id, reason: outcome.reason, body: outcome.body }, 'payment rejected');
      await repository.transaction((tx) =>
        releaseOrder(tx, order.id, {
          from: ['AWAITING_PAYMENT'],
          to: 'PAYMENT_FAILED',
          type: ORDER_EVENT_TYPES.paymentFailed,
          reason: outcome.reason,
        }),
      );
      return undefined;
  }
}
