import { guardPgPool } from '@shop/service-kit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersRepository } from '../src/modules/orders/orders.repository.js';
import { createOrdersService } from '../src/modules/orders/orders.service.js';
import { fakeLogger, fakePaymentClient, fakeProductClient } from './fakes.js';
import { ALICE, createOrderTestEnv, type OrderTestEnv } from './harness.js';

// Issue 16: the checkout's own database work was BEGIN, INSERT, INSERT, COMMIT, BEGIN, UPDATE, one
// UPDATE per line, COMMIT, a re-read, the payment id, and two reads for the answer — all unnamed.
// It is three named statements now, prepared once per connection.
let env: OrderTestEnv;
let pool: pg.Pool;
let sent: Array<{ text: string; name: string | undefined }>;

beforeAll(async () => {
  env = await createOrderTestEnv('statements');
  // One connection, so pg_prepared_statements (per session) shows what the repository prepared.
  pool = guardPgPool(new pg.Pool({ connectionString: env.db.url, max: 1 }));
  sent = [];
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...a: unknown[]) => {
      const q = a[0] as string | { text: string; name?: string };
      sent.push(typeof q === 'string' ? { text: q, name: undefined } : { text: q.text, name: q.name });
      return query(...a);
    };
  });
});
afterAll(async () => {
  await pool?.end();
  await env?.teardown();
});

const service = () =>
  createOrdersService({
    repository: createOrdersRepository(pool),
    products: fakeProductClient(),
    payments: fakePaymentClient(),
    paymentTtlSeconds: 900,
    reservationMarginSeconds: 300,
    logger: fakeLogger(),
    now: () => new Date(),
  });

describe('the checkout on the database', () => {
  it('places an order of three lines in three named statements, without BEGIN/COMMIT', async () => {
    const orders = service();
    sent = [];
    const { order, created } = await orders.place(
      { id: ALICE, role: 'customer' },
      {
        items: [
          { product_id: 3, quantity: 1 },
          { product_id: 1, quantity: 2 },
          { product_id: 2, quantity: 1 },
        ],
        payment_method: 'tok_success',
      },
      undefined,
    );
    expect(created).toBe(true);
    expect(order.status).toBe('AWAITING_PAYMENT');
    expect(order.items.map((i) => i.product_id)).toEqual([1, 2, 3]);
    expect(order.items.every((i) => i.unit_price !== null && i.name !== null)).toBe(true);
    expect(sent.map((q) => q.name)).toEqual([
      'orders_insert_pending',
      'orders_mark_priced',
      'orders_set_payment_id',
    ]);
    const { rows } = await pool.query<{ name: string }>(
      `SELECT name FROM pg_prepared_statements WHERE name LIKE 'orders\\_%' ORDER BY name`,
    );
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['orders_insert_pending', 'orders_mark_priced', 'orders_set_payment_id']),
    );
  });

  it('places a keyed order without a look-up first, resumes it by Idempotency-Key, and reuses the prepared statements', async () => {
    const orders = service();
    const input = { items: [{ product_id: 1, quantity: 1 }], payment_method: 'tok_success' };
    sent = [];
    const first = await orders.place({ id: ALICE, role: 'customer' }, input, 'statements-key');
    // A new key is not looked up first: the insert is the look-up (it writes nothing on a taken key).
    expect(sent.map((q) => q.name)).toEqual([
      'orders_insert_pending',
      'orders_mark_priced',
      'orders_set_payment_id',
    ]);
    sent = [];
    const again = await orders.place({ id: ALICE, role: 'customer' }, input, 'statements-key');
    expect(again).toMatchObject({ created: false, order: { id: first.order.id } });
    expect(sent.map((q) => q.name)).toEqual([
      'orders_insert_pending',
      'orders_by_idempotency_key',
      'orders_with_items',
    ]);
  });

  it('applies a payment result in one named statement, its outbox row going with the COMMIT (no separate reads)', async () => {
    const orders = service();
    const repository = createOrdersRepository(pool);
    const { order } = await orders.place(
      { id: ALICE, role: 'customer' },
      { items: [{ product_id: 1, quantity: 2 }], payment_method: 'tok_success' },
      undefined,
    );
    sent = [];
    await repository.transaction((tx) =>
      orders.onPaymentSucceeded(
        {
          payment_id: order.payment_id!,
          order_id: order.id,
          amount: order.total_amount!,
          currency: order.currency!,
          provider: 'sandbox',
          provider_ref: 'ch_1',
        },
        tx,
      ),
    );
    // BEGIN, PAID with the lines for the event, then the outbox row (@shop/events) with the COMMIT.
    const what = (q: { text: string; name: string | undefined }) =>
      q.name ??
      (/INSERT INTO orders\.outbox[\s\S]*;\nCOMMIT$/.test(q.text) ? 'outbox + COMMIT' : q.text.trim());
    expect(sent.map(what)).toEqual(['BEGIN', 'orders_transition', 'outbox + COMMIT']);
    const { rows } = await pool.query<{ envelope: { data: { items: unknown[]; total: number } } }>(
      `SELECT envelope FROM orders.outbox WHERE aggregate_id = $1 AND type = 'order.paid'`,
      [order.id],
    );
    expect(rows[0]!.envelope.data).toMatchObject({
      total: order.total_amount,
      items: [{ product_id: 1, quantity: 2 }],
    });
  });
});
