import { OutboxRelay } from '@shop/events';
import { type BackgroundWorker, createBackgroundLoop, type ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { DB_SCHEMA } from './config.js';
import type { OrdersService } from './modules/orders/orders.service.js';
import { createPaymentEventsConsumer } from './modules/orders/payment-events.consumer.js';

export interface OrderWorkersDeps {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  orders: OrdersService;
  outboxPollIntervalMs: number;
  /** OUTBOX_LISTEN: wake the relay at commit (LISTEN/NOTIFY), else poll only. */
  outboxListen: boolean;
  sweepIntervalMs: number;
  events: { claimIdleMs: number; reclaimIntervalMs: number; maxDeliveries: number };
}

/**
 * The payment-events consumer, the relay of order events and the expiry sweeper, in start order
 * (`startWorkers` stops them in reverse); all replica-safe, and all outlive PostgreSQL/Redis
 * outages (logged once, retried with backoff, resumed on recovery).
 */
export function createWorkers(deps: OrderWorkersDeps): BackgroundWorker[] {
  const { kit, pool, redis, orders } = deps;
  const consumer = createPaymentEventsConsumer({
    kit,
    pool,
    redis,
    orders,
    schema: DB_SCHEMA,
    ...deps.events,
  });
  const relay = new OutboxRelay({
    pool,
    redis,
    schema: DB_SCHEMA,
    pollIntervalMs: deps.outboxPollIntervalMs,
    listen: deps.outboxListen,
    logger: kit.logger,
    registry: kit.registry,
  });
  const sweeper = createBackgroundLoop({
    name: 'order expiry sweeper',
    logger: kit.logger,
    intervalMs: deps.sweepIntervalMs,
    delayFirstRun: true,
    run: () => orders.expireDue(),
  });
  return [
    { name: 'payment-events consumer', start: () => consumer.start(), stop: () => consumer.stop() },
    { name: 'order outbox relay', start: () => relay.start(), stop: () => relay.stop() },
    { name: 'order expiry sweeper', start: () => sweeper.start(), stop: () => sweeper.stop() },
  ];
}
