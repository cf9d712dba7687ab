// Order events → reservation state: order.paid commits the reservation; order.cancelled /
// order.payment_failed / order.expired release it, and an order refunded after payment gets its
// sold stock back (restock). Run by workers.ts.
import {
  EVENT_STREAMS,
  type EventEnvelope,
  inventoryErrorCodes,
  ORDER_EVENT_TYPES,
  orderPaidDataSchema,
  orderReleasedDataSchema,
} from '@shop/contracts';
import { StreamConsumer } from '@shop/events';
import { type BackgroundWorker, DomainError, type ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { InventoryService } from './inventory.service.js';

const codeOf = (err: unknown) => (err instanceof DomainError ? err.code : undefined);

export interface InventoryConsumerOptions {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  inventory: InventoryService;
  /** The service's schema (`DB_SCHEMA`): where `processed_events` lives. */
  schema: string;
  claimIdleMs?: number;
  reclaimIntervalMs?: number;
  maxDeliveries?: number;
}

/** Handlers of the `orders` stream, keyed by event type. */
export function inventoryEventHandlers(inventory: InventoryService, logger: ServiceKit['logger']) {
  const commit = async (event: EventEnvelope) => {
    const data = orderPaidDataSchema.parse(event.data);
    try {
      await inventory.commit(data.order_id);
    } catch (err) {
      const code = codeOf(err);
      // Nothing to commit any more: the hold lapsed or never existed. The order service shows the
      // order as paid; this needs a human (or a refund), retrying cannot fix it.
      if (
        code === inventoryErrorCodes.reservationReleased ||
        code === inventoryErrorCodes.reservationNotFound
      ) {
        logger.error({ order_id: data.order_id, code }, 'paid order has no reservation to commit');
        return;
      }
      throw err;
    }
  };
  const release = async (event: EventEnvelope) => {
    const data = orderReleasedDataSchema.parse(event.data);
    try {
      // restock handles both RESERVED → RELEASED and COMMITTED → RETURNED.
      if (data.refunded) await inventory.restock(data.order_id);
      else await inventory.release(data.order_id);
    } catch (err) {
      const code = codeOf(err);
      // The order was rejected or expired before anything was reserved: nothing to give back.
      if (code === inventoryErrorCodes.reservationNotFound) return;
      if (code === inventoryErrorCodes.reservationCommitted) {
        logger.warn({ order_id: data.order_id, type: event.type }, 'release of a sold reservation ignored');
        return;
      }
      throw err;
    }
  };
  return {
    [ORDER_EVENT_TYPES.paid]: commit,
    [ORDER_EVENT_TYPES.cancelled]: release,
    [ORDER_EVENT_TYPES.paymentFailed]: release,
    [ORDER_EVENT_TYPES.expired]: release,
  };
}

/**
 * The product service's member of consumer group `product-service` on the `orders` stream, with
 * dedup: each event id is recorded in `<schema>.processed_events`, so a redelivered event is a no-op
 * (and a late duplicate of `order.paid` after a refund is not mistaken for a paid order without
 * stock). The inventory transitions commit in their own transaction before the dedup row; if that
 * second commit fails the event is redelivered and the transitions, idempotent by themselves,
 * change nothing.
 */
export function createInventoryConsumer(o: InventoryConsumerOptions): BackgroundWorker {
  const consumer = new StreamConsumer({
    pool: o.pool,
    redis: o.redis,
    schema: o.schema,
    group: 'product-service',
    streams: [EVENT_STREAMS.orders],
    handlers: inventoryEventHandlers(o.inventory, o.kit.logger),
    claimIdleMs: o.claimIdleMs ?? 30_000,
    reclaimIntervalMs: o.reclaimIntervalMs ?? 5_000,
    maxDeliveries: o.maxDeliveries ?? 5,
    logger: o.kit.logger,
    registry: o.kit.registry,
  });
  let started: Promise<void> | undefined;
  return {
    name: 'inventory-consumer',
    start() {
      started = consumer
        .start()
        .catch((err) => o.kit.logger.error({ err }, 'inventory consumer failed to start'));
    },
    async stop() {
      await started;
      await consumer.stop();
    },
  };
}
