import {
  EVENT_STREAMS,
  PAYMENT_EVENT_TYPES,
  paymentFailedDataSchema,
  paymentRefundedDataSchema,
  paymentSucceededDataSchema,
} from '@shop/contracts';
import { StreamConsumer } from '@shop/events';
import type { ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { ordersRepositoryIn } from './orders.repository.js';
import type { PaymentResults } from './payment-results.js';

export interface PaymentEventsConsumerOptions {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  orders: PaymentResults;
  schema: string;
  claimIdleMs: number;
  reclaimIntervalMs: number;
  maxDeliveries: number;
}

/**
 * The "payment callback": payment results from the `payments` stream drive the order's state. The
 * event data is parsed with the `@shop/contracts` schemas here, at the boundary (a malformed event
 * fails, is retried and finally dead-lettered); the handlers get typed data and the repository bound
 * to the consumer's transaction, which also records the event as processed.
 */
export function createPaymentEventsConsumer(o: PaymentEventsConsumerOptions): StreamConsumer {
  return new StreamConsumer({
    pool: o.pool,
    redis: o.redis,
    schema: o.schema,
    group: 'order-service',
    streams: [EVENT_STREAMS.payments],
    handlers: {
      [PAYMENT_EVENT_TYPES.succeeded]: (e, tx) =>
        o.orders.onPaymentSucceeded(paymentSucceededDataSchema.parse(e.data), ordersRepositoryIn(tx)),
      [PAYMENT_EVENT_TYPES.failed]: (e, tx) =>
        o.orders.onPaymentFailed(paymentFailedDataSchema.parse(e.data), ordersRepositoryIn(tx)),
      [PAYMENT_EVENT_TYPES.refunded]: (e, tx) =>
        o.orders.onPaymentRefunded(paymentRefundedDataSchema.parse(e.data), ordersRepositoryIn(tx)),
    },
    claimIdleMs: o.claimIdleMs,
    reclaimIntervalMs: o.reclaimIntervalMs,
    maxDeliveries: o.maxDeliveries,
    logger: o.kit.logger,
    registry: o.kit.registry,
  });
}
