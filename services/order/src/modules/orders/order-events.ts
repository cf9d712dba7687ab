import { ORDER_EVENT_TYPES, type OrderPaidData, type OrderReleasedData } from '@shop/contracts';
import type { OrderItemRow, OrderRow, OrderStatus, OrdersRepository } from './orders.repository.js';

const itemsOf = (items: OrderItemRow[]) =>
  items.map((i) => ({ product_id: Number(i.product_id), quantity: i.quantity }));

const eventItems = async (tx: OrdersRepository, id: string) => itemsOf(await tx.items([id]));

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
    items: await eventItems(tx, id),
  };
  await tx.addEvent({ type: release.type, aggregateId: id, data });
  return true;
}

/**
 * PENDING/AWAITING_PAYMENT → PAID and `order.paid` (the product service commits the reservation).
 * `items` are the order's lines, read with the order under its row lock.
 */
export async function payOrder(
  tx: OrdersRepository,
  order: OrderRow,
  items: OrderItemRow[],
  payment: { payment_id: string; amount: number; currency: string },
): Promise<void> {
  const paid = await tx.transition(order.id, ['AWAITING_PAYMENT', 'PENDING'], 'PAID', {
    paymentId: payment.payment_id,
  });
  const data: OrderPaidData = {
    order_id: order.id,
    user_id: order.user_id,
    payment_id: payment.payment_id,
    total: Number(paid?.total_amount ?? payment.amount),
    currency: paid?.currency?.trim() ?? payment.currency,
    items: itemsOf(items),
  };
  await tx.addEvent({ type: ORDER_EVENT_TYPES.paid, aggregateId: order.id, data });
}
