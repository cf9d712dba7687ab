import { ORDER_EVENT_TYPES, type OrderPaidData, type OrderReleasedData } from '@shop/contracts';
import type { OrderItemRow, OrderStatus, OrdersRepository } from './orders.repository.js';

const itemsOf = (items: OrderItemRow[]) =>
  items.map((i) => ({ product_id: Number(i.product_id), quantity: i.quantity }));

/** Why an order ends without a sale, and the event that makes the product service release (or restock). */
export interface Release {
  from: OrderStatus[];
  to: OrderStatus;
  type: (typeof ORDER_EVENT_TYPES)[Exclude<keyof typeof ORDER_EVENT_TYPES, 'paid'>];
  reason: string;
  /** The order had been paid and its payment was refunded: the stock goes back. */
  refunded?: boolean;
  paymentId?: string;
}

/**
 * Moves an order to a final state and writes the event that releases its stock, in `tx`'s
 * transaction; false when the order was not in one of `release.from` (someone else moved it).
 */
export async function releaseOrder(tx: OrdersRepository, id: string, release: Release): Promise<boolean> {
  const row = await tx.transition(id, release.from, release.to, {
    failureReason: release.reason,
    ...(release.paymentId ? { paymentId: release.paymentId } : {}),
  });
  if (!row) return false;
  const data: OrderReleasedData = {
    order_id: id,
    user_id: row.user_id,
    reason: release.reason,
    refunded: release.refunded ?? false,
    items: itemsOf(row.items),
  };
  await tx.addEvent({ type: release.type, aggregateId: id, data });
  return true;
}

/**
 * PENDING/AWAITING_PAYMENT → PAID and `order.paid` (the product service commits the reservation),
 * in `tx`'s transaction; false when the order was in neither state (or does not exist).
 */
export async function payOrder(
  tx: OrdersRepository,
  orderId: string,
  payment: { payment_id: string; amount: number; currency: string },
): Promise<boolean> {
  const paid = await tx.transition(orderId, ['AWAITING_PAYMENT', 'PENDING'], 'PAID', {
    paymentId: payment.payment_id,
  });
  if (!paid) return false;
  const data: OrderPaidData = {
    order_id: orderId,
    user_id: paid.user_id,
    payment_id: payment.payment_id,
    total: Number(paid.total_amount ?? payment.amount),
    currency: paid.currency?.trim() ?? payment.currency,
    items: itemsOf(paid.items),
  };
  await tx.addEvent({ type: ORDER_EVENT_TYPES.paid, aggregateId: orderId, data });
  return true;
}
