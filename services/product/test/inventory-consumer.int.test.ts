// Order events on the `orders` stream drive the reservations: paid → commit; cancelled /
// payment_failed / expired → release; refunded after payment → stock back.
import { randomUUID } from 'node:crypto';
import { EVENT_STREAMS, type EventEnvelope } from '@shop/contracts';
import { streamKey } from '@shop/events';
import { type BackgroundWorker, createLogger, createServiceKit, type ServiceKit } from '@shop/service-kit';
import { runMigrations } from '@shop/service-kit/migrate';
import { createTestEnvironment, type TestEnvironment } from '@shop/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProductModules, type ProductModules } from '../src/compose.js';
import { DB_SCHEMA } from '../src/config.js';
import { createInventoryConsumer } from '../src/modules/inventory/inventory.consumer.js';

let env: TestEnvironment;
let pool: pg.Pool;
let redis: Redis;
let raw: Redis;
let kit: ServiceKit;
let modules: ProductModules;
let consumer: BackgroundWorker;
let productId: number;

beforeAll(async () => {
  env = await createTestEnvironment('product_events', {
    migrate: (url) =>
      runMigrations({
        connectionString: url,
        schema: DB_SCHEMA,
        dir: new URL('../migrations', import.meta.url),
      }),
  });
  kit = createServiceKit({
    name: 'product',
    logger: createLogger({ name: 'product-test', level: 'silent' }),
    exit: () => {},
    flushTelemetryOnShutdown: false,
  });
  pool = new pg.Pool({ connectionString: env.db.url, max: 6 });
  redis = new Redis(env.redisPrefix.url, { keyPrefix: env.redisPrefix.prefix });
  raw = new Redis(env.redisPrefix.url);
  modules = createProductModules({ kit, pool, cacheTtlSeconds: 300, reservationTtlSeconds: 900 });
  productId = (
    await modules.products.create({
      sku: 'EVT-1',
      name: 'Event mug',
      price_amount: 1000,
      currency: 'USD',
      stock: 20,
    })
  ).id;
  consumer = createInventoryConsumer({
    kit,
    pool,
    redis,
    inventory: modules.inventory,
    schema: DB_SCHEMA,
    claimIdleMs: 200,
    reclaimIntervalMs: 100,
  });
  consumer.start();
});

afterAll(async () => {
  await consumer?.stop();
  raw?.disconnect();
  redis?.disconnect();
  await pool?.end();
  await env?.teardown();
});

const ordersStream = () => streamKey(env.redisPrefix.prefix, EVENT_STREAMS.orders);

/** Publishes one envelope `times` times (the same event id: a redelivery) and returns it. */
async function publish(type: string, data: Record<string, unknown>, times = 1): Promise<EventEnvelope> {
  const envelope: EventEnvelope = {
    id: randomUUID(),
    type,
    occurred_at: new Date().toISOString(),
    aggregate_id: String(data.order_id),
    data,
    traceparent: null,
  };
  for (let i = 0; i < times; i++) {
    await raw.xadd(ordersStream(), '*', 'type', type, 'event', JSON.stringify(envelope));
  }
  return envelope;
}

/** `events_consumed_total` of one event type and outcome on the consumer's registry. */
async function consumed(type: string, outcome: string): Promise<number> {
  const metric = kit.registry.getSingleMetric('events_consumed_total');
  const values = metric ? (await metric.get()).values : [];
  return values
    .filter((v) => v.labels.type === type && v.labels.outcome === outcome)
    .reduce((sum, v) => sum + v.value, 0);
}

async function reserve(quantity: number): Promise<string> {
  const orderId = randomUUID();
  await modules.inventory.reserve({ order_id: orderId, items: [{ product_id: productId, quantity }] });
  return orderId;
}

const stock = async () =>
  (JSON.parse((await modules.products.get(productId, (p) => JSON.stringify(p))).body) as { stock: number })
    .stock;

async function until<T>(read: () => Promise<T>, expected: T): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if ((await read()) === expected) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await read()).toBe(expected);
}

const reservationStatus = (orderId: string) => modules.inventory.get(orderId).then((r) => r.status);
const paidData = (orderId: string, quantity: number) => ({
  order_id: orderId,
  user_id: 'u1',
  payment_id: randomUUID(),
  total: quantity * 1000,
  currency: 'USD',
  items: [{ product_id: productId, quantity }],
});
const released = (orderId: string, reason: string, refunded = false) => ({
  order_id: orderId,
  user_id: 'u1',
  reason,
  refunded,
  items: [{ product_id: productId, quantity: 1 }],
});

describe('inventory consumer', () => {
  it('commits the reservation on order.paid, once even when the event is delivered twice', async () => {
    const orderId = await reserve(2);
    const before = await stock();
    await publish('order.paid', paidData(orderId, 2), 2);
    await until(() => reservationStatus(orderId), 'COMMITTED');
    expect(await stock()).toBe(before);
  });

  it('records a redelivered order.paid once and skips the second delivery as a duplicate', async () => {
    const orderId = await reserve(2);
    const before = await stock();
    const processed = await consumed('order.paid', 'processed');
    const duplicates = await consumed('order.paid', 'duplicate');
    // Paid, then refunded (stock back): a late second delivery of order.paid must change nothing.
    const envelope = await publish('order.paid', paidData(orderId, 2));
    await until(() => reservationStatus(orderId), 'COMMITTED');
    await publish('order.cancelled', released(orderId, 'cancelled_after_payment', true));
    await until(() => reservationStatus(orderId), 'RETURNED');
    await raw.xadd(ordersStream(), '*', 'type', 'order.paid', 'event', JSON.stringify(envelope));
    await until(() => consumed('order.paid', 'duplicate'), duplicates + 1);

    expect(await consumed('order.paid', 'processed')).toBe(processed + 1);
    const { rows } = await pool.query(
      'SELECT consumer, event_type FROM catalog.processed_events WHERE event_id = $1',
      [envelope.id],
    );
    expect(rows).toEqual([{ consumer: 'product-service', event_type: 'order.paid' }]);
    expect(await reservationStatus(orderId)).toBe('RETURNED');
    expect(await stock()).toBe(before + 2);
  });

  it('releases the stock on order.payment_failed, order.expired and order.cancelled', async () => {
    for (const type of ['order.payment_failed', 'order.expired', 'order.cancelled']) {
      const before = await stock();
      const orderId = await reserve(3);
      expect(await stock()).toBe(before - 3);
      await publish(type, released(orderId, type), 2);
      await until(() => reservationStatus(orderId), 'RELEASED');
      await until(stock, before);
    }
  });

  it('puts sold stock back when a paid order is refunded', async () => {
    const before = await stock();
    const orderId = await reserve(4);
    await modules.inventory.commit(orderId);
    await publish('order.cancelled', released(orderId, 'cancelled_after_payment', true), 2);
    await until(stock, before);
    expect(await reservationStatus(orderId)).toBe('RETURNED');
  });

  it('acknowledges a release for an order that never reserved anything', async () => {
    await publish('order.expired', released(randomUUID(), 'payment_timeout'));
    const key = ordersStream();
    for (let i = 0; i < 100; i++) {
      const [pending] = (await raw.xpending(key, 'product-service')) as [number];
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(((await raw.xpending(key, 'product-service')) as [number])[0]).toBe(0);
    expect(await raw.xlen(`${key}:dlq`)).toBe(0);
  });
});
