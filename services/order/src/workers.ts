import { OutboxRelay, type StreamConsumer } from '@shop/events';
import { createBackgroundLoop, type ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { ORDERS_SCHEMA } from './app.js';
import type { OrdersService } from './modules/orders/orders.service.js';
import { createPaymentEventsConsumer } from './modules/orders/payment-events.consumer.js';

export interface OrderWorkersOptions {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  orders: OrdersService;
  outboxPollIntervalMs: number;
  sweepIntervalMs: number;
  events: { claimIdleMs: number; reclaimIntervalMs: number; maxDeliveries: number };
}

export interface OrderWorkers {
  relay: OutboxRelay;
  consumer: StreamConsumer;
  stop(): Promise<void>;
}

/**
 * Relay of order events, the payment-events consumer and the expiry sweeper; all replica-safe, and
 * all outlive PostgreSQL/Redis outages (logged once, retried with backoff, resumed on recovery).
 */
export async function startWorkers(o: OrderWorkersOptions): Promise<OrderWorkers> {
  const relay = new OutboxRelay({
    pool: o.pool,
    redis: o.redis,
    schema: ORDERS_SCHEMA,
    pollIntervalMs: o.outboxPollIntervalMs,
    logger: o.kit.logger,
    registry: o.kit.registry,
  });
  const consumer = createPaymentEventsConsumer({
    kit: o.kit,
    pool: o.pool,
    redis: o.redis,
    orders: o.orders,
    schema: ORDERS_SCHEMA,
    ...o.events,
  });
  const sweeper = createBackgroundLoop({
    name: 'order expiry sweeper',
    logger: o.kit.logger,
    intervalMs: o.sweepIntervalMs,
    delayFirstRun: true,
    run: () => o.orders.expireDue(),
  });
  await consumer.start();
  relay.start();
  sweeper.start();
  return {
    relay,
    consumer,
    async stop() {
      await sweeper.stop();
      await consumer.stop();
      await relay.stop();
    },
  };
}
