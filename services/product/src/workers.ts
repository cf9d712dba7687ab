import type { BackgroundWorker, ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { DB_SCHEMA } from './config.js';
import { createInventoryConsumer } from './modules/inventory/inventory.consumer.js';
import type { InventoryService } from './modules/inventory/inventory.service.js';
import { createReservationSweeper } from './modules/inventory/reservation-sweeper.js';

export interface ProductWorkersDeps {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  inventory: InventoryService;
  /** RESERVATION_SWEEP_INTERVAL_MS */
  sweepIntervalMs: number;
}

/**
 * The product service's background work, stopped by the kit's shutdown before the pool and Redis
 * close: the sweeper returning the stock of expired reservations, and the consumer of the `orders`
 * stream (order.paid → commit; order.cancelled / payment_failed / expired → release; refund → restock).
 */
export function createWorkers(deps: ProductWorkersDeps): BackgroundWorker[] {
  return [
    createReservationSweeper({
      inventory: deps.inventory,
      intervalMs: deps.sweepIntervalMs,
      logger: deps.kit.logger,
    }),
    createInventoryConsumer({
      kit: deps.kit,
      pool: deps.pool,
      redis: deps.redis,
      inventory: deps.inventory,
      schema: DB_SCHEMA,
    }),
  ];
}
