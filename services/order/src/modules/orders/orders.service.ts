import { ORDER_EVENT_TYPES } from '@shop/contracts';
import { ValidationError } from '@shop/service-kit';
import type { AuthUser } from '@shop/service-kit/auth';
import { type CheckoutDeps, type CheckoutSaga, createCheckoutSaga } from './checkout.saga.js';
import { releaseOrder } from './order-events.js';
import { expireDueOrders } from './order-expiry.js';
import { dependencyUnavailable, notCancellable, orderNotFound } from './orders.errors.js';
import { loadOrder, type Order, toOrder } from './orders.model.js';
import type { OrderItemRow, OrdersRepository } from './orders.repository.js';
import { createPaymentResults, type PaymentResults } from './payment-results.js';

export type { Order, OrderItem } from './orders.model.js';

/** The checkout's dependencies are all the service needs. */
export type OrdersServiceDeps = CheckoutDeps;

/** Everything the routes and workers do with orders. */
export interface OrdersService extends PaymentResults {
  /** The checkout (`checkout.saga.ts`). */
  place: CheckoutSaga['place'];
  get(id: string): Promise<Order>;
  /** Owner or admin; anyone else gets 404 so ids of other users' orders do not leak. */
  getVisible(user: AuthUser, id: string): Promise<Order>;
  listMine(
    user: AuthUser,
    limit: number,
    cursor?: string,
  ): Promise<{ items: Order[]; next_cursor: string | null }>;
  /**
   * Before payment: CANCELLED and the reservation is released. After payment: the payment is
   * refunded through the payment service first, then REFUNDED and the stock goes back.
   */
  cancel(user: AuthUser, id: string): Promise<Order>;
  /** Expires unpaid orders whose TTL passed (the sweeper's run, `order-expiry.ts`). */
  expireDue(limit?: number): Promise<number>;
}

type Cursor = { createdAt: Date; id: string };

function decodeCursor(cursor: string): Cursor {
  try {
    const [ts, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const after = { createdAt: new Date(ts), id };
    if (Number.isNaN(after.createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return after;
  } catch {
    throw new ValidationError({
      detail: 'invalid cursor',
      errors: [{ pointer: '/query/cursor', detail: 'invalid cursor' }],
    });
  }
}

const encodeCursor = (row: { created_at: Date; id: string }) =>
  Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');

export function createOrdersService(deps: OrdersServiceDeps): OrdersService {
  const { repository } = deps;
  const get = (id: string) => loadOrder(repository, id);
  const getVisible = async (user: AuthUser, id: string) => visibleTo(user, await get(id));
  return {
    place: createCheckoutSaga(deps).place,
    get,
    getVisible,
    listMine: (user, limit, cursor) => listOrders(repository, user, limit, cursor),
    cancel: (user, id) => cancelOrder(deps, getVisible, user, id),
    expireDue: (limit = 50) => expireDueOrders(repository, deps.now(), limit),
    ...createPaymentResults(deps),
  };
}

/** Owner or admin; anyone else gets 404 so ids of other users' orders do not leak. */
function visibleTo(user: AuthUser, order: Order): Order {
  if (order.user_id !== user.id && user.role !== 'admin') throw orderNotFound();
  return order;
}

async function listOrders(repository: OrdersRepository, user: AuthUser, limit: number, cursor?: string) {
  const after = cursor ? decodeCursor(cursor) : undefined;
  const rows = await repository.listByUser(user.id, limit + 1, after);
  const page = rows.slice(0, limit);
  const byOrder = new Map<string, OrderItemRow[]>();
  for (const i of await repository.items(page.map((r) => r.id))) {
    byOrder.set(i.order_id, [...(byOrder.get(i.order_id) ?? []), i]);
  }
  const last = page.at(-1);
  return {
    items: page.map((r) => toOrder(r, byOrder.get(r.id) ?? [])),
    next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

async function cancelOrder(
  deps: OrdersServiceDeps,
  getVisible: OrdersService['getVisible'],
  user: AuthUser,
  id: string,
): Promise<Order> {
  const { repository, payments, logger } = deps;
  const order = await getVisible(user, id);
  if (order.status === 'CANCELLED' || order.status === 'REFUNDED') return order;
  if (order.status === 'PENDING' || order.status === 'AWAITING_PAYMENT') {
    const done = await repository.transaction((tx) =>
      releaseOrder(tx, id, {
        from: ['PENDING', 'AWAITING_PAYMENT'],
        to: 'CANCELLED',
        type: ORDER_EVENT_TYPES.cancelled,
        reason: 'cancelled_by_customer',
      }),
    );
    if (done) return loadOrder(repository, id);
    return cancelOrder(deps, getVisible, user, id); // the status moved meanwhile (e.g. paid): decide again
  }
  if (order.status !== 'PAID' || !order.payment_id) throw notCancellable(order.status);
  const refund = await payments.refundFull(order.payment_id, `cancel-${order.id}`, 'order cancelled');
  if (refund.kind === 'unavailable') throw dependencyUnavailable('payment', order.id);
  if (refund.kind === 'rejected') {
    logger.warn({ order_id: id, reason: refund.reason, body: refund.body }, 'refund rejected');
    throw notCancellable(order.status);
  }
  await repository.transaction((tx) =>
    releaseOrder(tx, id, {
      from: ['PAID'],
      to: 'REFUNDED',
      type: ORDER_EVENT_TYPES.cancelled,
      reason: 'cancelled_after_payment',
      refunded: true,
    }),
  );
  return loadOrder(repository, id);
}
