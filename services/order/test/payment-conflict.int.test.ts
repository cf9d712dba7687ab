// The order service against a real payment service process (same database, other schema, same
// Redis prefix, as in production): a 409 from the payment service — the order already has a live
// or captured payment under another key — must not fail the order; that payment's event settles it.
import { fileURLToPath } from 'node:url';
import { runMigrations } from '@shop/service-kit/migrate';
import { type ServiceProcess, startServiceProcess, stopAllServiceProcesses } from '@shop/testing';
import { useFileFixture } from '@shop/testing/vitest';
import { afterAll, expect, it } from 'vitest';
import {
  ALICE,
  createOrderTestEnv,
  INTERNAL_TOKEN,
  migrateOrders,
  orderApi,
  orderStatus,
  outboxTypes,
  SEEDED_REQUEST,
  seedOrder,
  startOrderApp,
  startTestWorkers,
} from './harness.js';

// The sibling workspace, run from its sources like `npm run dev` does (no build needed).
const PAYMENT_URL = new URL('../../payment/', import.meta.url);
const PAYMENT_DIR = fileURLToPath(PAYMENT_URL);

const suite = useFileFixture(
  async () => {
    const env = await createOrderTestEnv('order_payconflict', async (url) => {
      await migrateOrders(url);
      await runMigrations({
        connectionString: url,
        schema: 'payments',
        dir: new URL('migrations/', PAYMENT_URL),
      });
    });
    let payment: ServiceProcess | undefined;
    try {
      payment = await startServiceProcess({
        entry: 'src/main.ts',
        cwd: PAYMENT_DIR,
        healthPath: '/readyz',
        env: env.serviceEnv({
          SERVICE_HOST: '127.0.0.1',
          INTERNAL_API_TOKEN: INTERNAL_TOKEN,
          PAYMENT_GATEWAY_KEY: 'sandbox-gateway-key-0123456789',
          OUTBOX_POLL_INTERVAL_MS: '50',
        }),
      });
      const order = await startOrderApp(env, { PAYMENT_SERVICE_URL: payment.url });
      return { env, payment, order };
    } catch (err) {
      await payment?.stop();
      await env.teardown();
      throw err;
    }
  },
  async ({ env, payment, order }) => {
    await order.close();
    payment.signal('SIGTERM');
    await payment.waitForExit(10_000).catch(() => payment.stop());
    await env.teardown();
  },
);

afterAll(async () => {
  await stopAllServiceProcesses();
});

it('keeps an order AWAITING_PAYMENT on a 409 from the payment service and settles it from that payment’s event', async () => {
  const { order, payment } = suite;
  const key = 'checkout-retry-1';
  // An earlier POST /api/v1/orders with this key reserved and priced the order, then lost the
  // payment call; meanwhile a payment for the order was captured under another key.
  const orderId = await seedOrder(order.pool, {
    userId: ALICE,
    status: 'AWAITING_PAYMENT',
    idempotencyKey: key,
  });
  const captured = await fetch(`${payment.url}/api/v1/payments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-internal-token': INTERNAL_TOKEN,
      'idempotency-key': `manual-${orderId}`,
    },
    body: JSON.stringify({ order_id: orderId, amount: 2500, currency: 'USD', payment_method: 'tok_success' }),
  });
  expect(captured.status).toBe(201);
  const capturedPayment = (await captured.json()) as { id: string; status: string };
  expect(capturedPayment.status).toBe('succeeded');

  // The client retries with the same key: the order service resumes the saga, the payment
  // service answers 409 (PAYMENT.ORDER_ALREADY_PAID), and the order keeps waiting.
  const call = await orderApi({ ...order, env: suite.env });
  const retry = await call('POST', '/api/v1/orders', 'alice', SEEDED_REQUEST, { 'Idempotency-Key': key });
  expect(retry.status).toBe(200);
  expect(await retry.json()).toMatchObject({ id: orderId, status: 'AWAITING_PAYMENT', payment_id: null });
  expect(await outboxTypes(order.pool, orderId)).toEqual([]);

  // payment.succeeded of the captured payment (published by the payment process's relay) pays it.
  const workers = await startTestWorkers(order, {
    outboxPollIntervalMs: 50,
    sweepIntervalMs: 60_000,
    events: { claimIdleMs: 1000, reclaimIntervalMs: 500, maxDeliveries: 3 },
  });
  try {
    for (let i = 0; i < 200 && (await orderStatus(order.pool, orderId)) !== 'PAID'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await workers.stop();
  }
  expect(await orderStatus(order.pool, orderId)).toBe('PAID');
  const { rows } = await order.pool.query('SELECT payment_id FROM orders.orders WHERE id = $1', [orderId]);
  expect(rows[0].payment_id).toBe(capturedPayment.id);
  expect(await outboxTypes(order.pool, orderId)).toEqual(['order.paid']);
});
