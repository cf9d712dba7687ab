import { EVENT_STREAMS, PAYMENT_EVENT_TYPES } from '@shop/contracts';
import { StreamConsumer } from '@shop/events';
import type { ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { OrdersService } from './orders.service.js';

export interface PaymentEventsConsumerOptions {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  orders: OrdersService;
  schema: string;
  claimIdleMs: number;
  reclaimIntervalMs: number;
  maxDeliveries: number;
}

/** The "payment callback": payment results from the `payments` stream drive the order's state. */
export function createPaymentEventsConsumer(o: PaymentEventsConsumerOptions): StreamConsumer {
  return new StreamConsumer({
    pool: o.pool,
    redis: o.redis,
    schema: o.schema,
    group: 'order-service',
    streams: [EVENT_STREAMS.payments],
    handlers: {
      [PAYMENT_EVENT_TYPES.succeeded]: (e, tx) => o.orders.onPaymentSucceeded(e, tx),
      [PAYMENT_EVENT_TYPES.failed]: (e, tx) => o.orders.onPaymentFailed(e, tx),
      [PAYMENT_EVENT_TYPES.refunded]: (e, tx) => o.orders.onPaymentRefunded(e, tx),
    },
    claimIdleMs: o.claimIdleMs,
    reclaimIntervalMs: o.reclaimIntervalMs,
    maxDeliveries: o.maxDeliveries,
    logger: o.kit.logger,
    registry: o.kit.registry,
  });
}
