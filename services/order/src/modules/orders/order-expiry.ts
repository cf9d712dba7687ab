import { ORDER_EVENT_TYPES } from '@shop/contracts';
import { releaseOrder } from './order-events.js';
import type { OrdersRepository } from './orders.repository.js';

/**
 * Expires unpaid orders whose payment TTL passed (EXPIRED + `order.expired`, the product service
 * releases the stock); safe on every replica (SKIP LOCKED). Returns how many it expired.
 */
export async function expireDueOrders(
  repository: OrdersRepository,
  now: Date,
  limit: number,
): Promise<number> {
  return repository.transaction(async (tx) => {
    const due = await tx.lockExpired(now, limit);
    for (const order of due) {
      await releaseOrder(tx, order.id, {
        from: ['PENDING', 'AWAITING_PAYMENT'],
        to: 'EXPIRED',
        type: ORDER_EVENT_TYPES.expired,
        reason: 'payment_timeout',
      });
    }
    return due.length;
  });
}
