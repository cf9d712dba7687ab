import {
  ORDER_EVENT_TYPES,
  type PaymentFailedData,
  type PaymentRefundedData,
  type PaymentSucceededData,
} from '@shop/contracts';
import { payOrder, releaseOrder } from './order-events.js';
import type { OrdersLogger } from './orders.model.js';
import type { OrdersRepository } from './orders.repository.js';
import type { PaymentClient } from './payment.client.js';

/**
 * The "payment callback": what a payment result does to its order. Each handler runs in the
 * consumer's transaction (`tx`, which also records the event as processed), so a redelivered event
 * changes nothing and a failing handler rolls back and is retried.
 */
export interface PaymentResults {
  onPaymentSucceeded(data: PaymentSucceededData, tx: OrdersRepository): Promise<void>;
  onPaymentFailed(data: PaymentFailedData, tx: OrdersRepository): Promise<void>;
  onPaymentRefunded(data: PaymentRefundedData, tx: OrdersRepository): Promise<void>;
}

export function createPaymentResults(deps: {
  payments: PaymentClient;
  logger: OrdersLogger;
}): PaymentResults {
  const { payments, logger } = deps;
  return {
    async onPaymentSucceeded(data, tx) {
      // The usual case in one statement: an unpaid order becomes PAID (its row locked until the
      // consumer commits). Otherwise the order is in a state no payment moves it out of again.
      if (await payOrder(tx, data.order_id, data)) return;
      const order = await tx.findById(data.order_id, { forUpdate: true });
      if (!order) {
        logger.warn({ order_id: data.order_id }, 'payment for an unknown order');
        return;
      }
      if (order.status === 'PAID' || order.status === 'REFUNDED') return;
      // Captured after the order was cancelled/expired/failed: give the money back. A failing call
      // throws, the transaction rolls back and the event is retried.
      const refund = await payments.refundFull(
        data.payment_id,
        `late-${data.payment_id}`,
        'order no longer payable',
      );
      if (refund.kind !== 'refunded') {
        if (refund.kind === 'unavailable' && refund.cause !== undefined) throw refund.cause;
        throw new Error(`refund of late payment ${data.payment_id} ${refund.reason}`);
      }
      await tx.setFailureReason(order.id, 'late_payment_refunded');
      logger.info({ order_id: order.id, payment_id: data.payment_id }, 'refunded a late payment');
    },

    async onPaymentFailed(data, tx) {
      await releaseOrder(tx, data.order_id, {
        from: ['AWAITING_PAYMENT', 'PENDING'],
        to: 'PAYMENT_FAILED',
        type: ORDER_EVENT_TYPES.paymentFailed,
        reason: data.failure_code,
        paymentId: data.payment_id,
      });
    },

    async onPaymentRefunded(data, tx) {
      if (!data.fully_refunded) return;
      // A refund made directly (admin) on a paid order: the order is refunded and the stock goes back.
      await releaseOrder(tx, data.order_id, {
        from: ['PAID'],
        to: 'REFUNDED',
        type: ORDER_EVENT_TYPES.cancelled,
        reason: 'refunded',
        refunded: true,
      });
    },
  };
}
