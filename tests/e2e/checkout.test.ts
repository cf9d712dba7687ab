import { userGrpcClient } from '@shop/testing';
// The cross-service journey of the issue, against all four services running as real processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, mapLimit } from './support/client.js';
import { ADMIN, INTERNAL_API_TOKEN, type Stack, startStack } from './support/stack.js';

const ORDER_TTL_SECONDS = 20;
const PASSWORD = 'correct horse battery staple';
const FINAL = ['PAID', 'PAYMENT_FAILED', 'CANCELLED', 'EXPIRED', 'REFUNDED'];

let stack: Stack;
let adminToken: string;
let userSeq = 0;
const run = Date.now().toString(36);

beforeAll(async () => {
  stack = await startStack({ orderTtlSeconds: ORDER_TTL_SECONDS });
  adminToken = await login(ADMIN.username, ADMIN.password);
});

afterAll(async () => {
  await stack?.stop();
});

const user = (path: string, init: Parameters<typeof api>[3] = {}, method = 'POST') =>
  api(stack.url('user'), method, path, init);
const product = (method: string, path: string, init: Parameters<typeof api>[3] = {}) =>
  api(stack.url('product'), method, path, init);
const order = (method: string, path: string, init: Parameters<typeof api>[3] = {}) =>
  api(stack.url('order'), method, path, init);

async function login(username: string, password: string): Promise<string> {
  // The seed's load-test body: {"username","password"}.
  const res = await user('/api/v1/users/login', { body: { username, password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token as string;
}

async function newCustomer(): Promise<{ username: string; token: string }> {
  const username = `e2e_${run}_${++userSeq}`;
  const reg = await user('/api/v1/users', {
    body: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  return { username, token: await login(username, PASSWORD) };
}

async function createProduct(name: string, stock: number, price = 1299): Promise<number> {
  const res = await product('POST', '/api/v1/products', {
    token: adminToken,
    body: {
      sku: `E2E-${run}-${name.replace(/\W+/g, '-')}`,
      name,
      description: `${name} for the e2e suite`,
      price_amount: price,
      currency: 'USD',
      stock,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}

async function stockOf(id: number): Promise<number> {
  const res = await product('GET', `/api/v1/products/${id}`);
  expect(res.status).toBe(200);
  return res.body.stock as number;
}

async function finalStatus(id: string, token: string, timeoutMs = 20_000): Promise<string> {
  return eventually(
    async () => {
      const res = await order('GET', `/api/v1/orders/${id}`, { token });
      return FINAL.includes(res.body.status) ? (res.body.status as string) : undefined;
    },
    `order ${id} to reach a final state`,
    timeoutMs,
  );
}

describe('checkout across user, product, order and payment', () => {
  let mugId: number;
  let alice: { username: string; token: string };
  let alicePaidOrder: string;

  it('1. register → login → search → order (seed body) → tok_success → PAID, stock decremented, one trace', async () => {
    mugId = await createProduct('Enamel Coffee Mug', 50);
    expect(mugId).toBe(1); // the seed's body names product 1
    alice = await newCustomer();

    const search = await product('GET', '/api/v1/products?q=coffee mug');
    expect(search.status).toBe(200);
    expect(search.body.items.map((p: { id: number }) => p.id)).toContain(mugId);

    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const placed = await order('POST', '/api/v1/orders', {
      token: alice.token,
      body: { product_id: 1, quantity: 2 },
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body).toMatchObject({ total_amount: 2598, currency: 'USD' });
    // The payment callback may already have landed by the time the response is written.
    expect(['AWAITING_PAYMENT', 'PAID']).toContain(placed.body.status);
    expect(placed.body.items[0]).toMatchObject({ product_id: 1, quantity: 2, unit_price: 1299 });
    alicePaidOrder = placed.body.id;

    expect(await finalStatus(alicePaidOrder, alice.token)).toBe('PAID');
    expect(await stockOf(mugId)).toBe(48);
    // order.paid reaches the product service asynchronously and commits the reservation.
    await eventually(async () => {
      const { rows } = await stack.pool.query('SELECT status FROM catalog.reservations WHERE order_id = $1', [
        alicePaidOrder,
      ]);
      return rows[0]?.status === 'COMMITTED' ? true : undefined;
    }, 'the reservation to be committed');

    // The trace of the client's request travelled order → payment (HTTP) → payment.succeeded →
    // order → order.paid: every event of this checkout carries the same trace id.
    const events = await stack.pool.query(
      `SELECT type, envelope->>'traceparent' AS tp FROM payments.outbox WHERE aggregate_id = $1
       UNION ALL SELECT type, envelope->>'traceparent' FROM orders.outbox WHERE aggregate_id = $1`,
      [alicePaidOrder],
    );
    expect(events.rows.length).toBeGreaterThanOrEqual(2);
    for (const row of events.rows) expect(row.tp).toContain(traceId);
  });

  it('the order went over gRPC: the order service checked the token with UserService.VerifyToken', async () => {
    const verify = /method="shop\.user\.v1\.UserService\/VerifyToken"/.source;
    const client = await fetch(`${stack.url('order')}/metrics`).then((r) => r.text());
    expect(client).toMatch(
      new RegExp(
        `grpc_client_request_duration_seconds_count\\{[^}]*upstream="user"[^}]*${verify}[^}]*code="OK"[^}]*\\} [1-9]`,
      ),
    );
    const server = await fetch(`${stack.url('user')}/metrics`).then((r) => r.text());
    expect(server).toMatch(
      new RegExp(`grpc_server_request_duration_seconds_count\\{[^}]*${verify}[^}]*code="OK"[^}]*\\} [1-9]`),
    );
  });

  it('the user service answers gRPC health (SERVING) and VerifyToken on its gRPC port', async () => {
    const grpc = userGrpcClient(stack.userGrpcPort);
    try {
      expect(await grpc.call('grpc.health.v1.Health', 'Check', { service: '' })).toEqual({
        status: 'SERVING',
      });
      expect(
        await grpc.call('grpc.health.v1.Health', 'Check', { service: 'shop.user.v1.UserService' }),
      ).toEqual({ status: 'SERVING' });
      const me = await user('/api/v1/users/me', { token: alice.token }, 'GET');
      expect(
        await grpc.call('shop.user.v1.UserService', 'VerifyToken', { token: alice.token }),
      ).toMatchObject({
        user_id: me.body.id,
        role: 'customer',
        username: alice.username,
      });
      // A bad token gets the same answer the order service turns into its 401 problem.
      const bad = await order('GET', '/api/v1/orders', { token: 'not.a-jwt' });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(bad.body).toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
    } finally {
      grpc.close();
    }
  });

  it('exposes per-upstream client metrics and event counters on the order service', async () => {
    const metrics = await fetch(`${stack.url('order')}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/http_client_requests_total\{[^}]*upstream="product"/);
    expect(metrics).toMatch(/http_client_requests_total\{[^}]*upstream="payment"/);
    expect(metrics).toMatch(/events_consumed_total\{[^}]*type="payment.succeeded"[^}]*outcome="processed"/);
    expect(metrics).toMatch(/events_published_total\{[^}]*stream="orders"/);
  });

  it('2. tok_decline → PAYMENT_FAILED with stock restored; tok_async → eventually PAID', async () => {
    const before = await stockOf(mugId);
    const declined = await order('POST', '/api/v1/orders', {
      token: alice.token,
      body: { items: [{ product_id: mugId, quantity: 3 }], payment_method: 'tok_decline' },
    });
    expect(declined.status).toBe(201);
    expect(await finalStatus(declined.body.id, alice.token)).toBe('PAYMENT_FAILED');
    await eventually(async () => ((await stockOf(mugId)) === before ? true : undefined), 'stock restored');

    const asyncOrder = await order('POST', '/api/v1/orders', {
      token: alice.token,
      body: { product_id: mugId, quantity: 1, payment_method: 'tok_async' },
    });
    expect(asyncOrder.status).toBe(201);
    expect(await finalStatus(asyncOrder.body.id, alice.token)).toBe('PAID');
    expect(await stockOf(mugId)).toBe(before - 1);

    // Cancelled while the async payment is still pending: the capture that arrives later is refunded.
    const cancelledEarly = await order('POST', '/api/v1/orders', {
      token: alice.token,
      body: { product_id: mugId, quantity: 1, payment_method: 'tok_async' },
    });
    // Body-less, as fetch sends it (Content-Length: 0, no Content-Type).
    const cancel = await order('POST', `/api/v1/orders/${cancelledEarly.body.id}/cancel`, {
      token: alice.token,
    });
    expect(cancel.body.status).toBe('CANCELLED');
    await eventually(async () => {
      const res = await api(
        stack.url('payment'),
        'GET',
        `/api/v1/payments?order_id=${cancelledEarly.body.id}`,
        {
          headers: { 'X-Internal-Token': INTERNAL_API_TOKEN },
        },
      );
      return res.body.items?.[0]?.status === 'refunded' ? true : undefined;
    }, 'the late capture to be refunded');
    await eventually(
      async () => ((await stockOf(mugId)) === before - 1 ? true : undefined),
      'stock released',
    );
  });

  it('3. stock 10, 100 concurrent single-unit orders from different users → exactly 10 PAID, stock 0', async () => {
    const limitedId = await createProduct('Limited Edition Grinder', 10, 4999);
    const customers = await mapLimit(Array.from({ length: 100 }), 6, () => newCustomer());
    const results = await Promise.all(
      customers.map((c) =>
        order('POST', '/api/v1/orders', {
          token: c.token,
          body: { product_id: limitedId, quantity: 1 },
        }).then((r) => ({ r, c })),
      ),
    );
    const accepted = results.filter(({ r }) => r.status === 201);
    const rejected = results.filter(({ r }) => r.status === 409);
    expect(accepted).toHaveLength(10);
    expect(rejected).toHaveLength(90);
    expect(rejected[0]!.r.body.code).toBe('ORDER.OUT_OF_STOCK');
    const statuses = await Promise.all(accepted.map(({ r, c }) => finalStatus(r.body.id, c.token)));
    expect(statuses.filter((s) => s === 'PAID')).toHaveLength(10);
    expect(await stockOf(limitedId)).toBe(0);
    const negative = await stack.pool.query(
      'SELECT count(*)::int AS n FROM catalog.products WHERE stock < 0',
    );
    expect(negative.rows[0].n).toBe(0);
  });

  it('4. 20 concurrent requests with one Idempotency-Key → one order; another body with that key → 422', async () => {
    const bob = await newCustomer();
    const headers = { 'Idempotency-Key': `checkout-${run}` };
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        order('POST', '/api/v1/orders', {
          token: bob.token,
          headers,
          body: { product_id: mugId, quantity: 1 },
        }),
      ),
    );
    for (const r of results) expect([200, 201, 409]).toContain(r.status);
    const ids = new Set(results.filter((r) => r.status < 300).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const replay = await order('POST', '/api/v1/orders', {
      token: bob.token,
      headers,
      body: { product_id: mugId, quantity: 1 },
    });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe([...ids][0]);
    const mine = await order('GET', '/api/v1/orders', { token: bob.token });
    expect(mine.body.items).toHaveLength(1);
    const other = await order('POST', '/api/v1/orders', {
      token: bob.token,
      headers,
      body: { product_id: mugId, quantity: 2 },
    });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
  });

  it('5. user B reading or cancelling user A’s order gets 404', async () => {
    const mallory = await newCustomer();
    expect((await order('GET', `/api/v1/orders/${alicePaidOrder}`, { token: mallory.token })).status).toBe(
      404,
    );
    expect(
      (await order('POST', `/api/v1/orders/${alicePaidOrder}/cancel`, { token: mallory.token })).status,
    ).toBe(404);
    expect((await order('GET', `/api/v1/orders/${alicePaidOrder}`, { token: alice.token })).body.status).toBe(
      'PAID',
    );
  });

  it('6. cancelling a paid order refunds it and restores the stock', async () => {
    const before = await stockOf(mugId);
    const cancelled = await order('POST', `/api/v1/orders/${alicePaidOrder}/cancel`, {
      token: alice.token,
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.status).toBe('REFUNDED');
    const payments = await api(stack.url('payment'), 'GET', `/api/v1/payments?order_id=${alicePaidOrder}`, {
      headers: { 'X-Internal-Token': INTERNAL_API_TOKEN },
    });
    expect(payments.body.items).toEqual([
      expect.objectContaining({ status: 'refunded', refunded_amount: 2598 }),
    ]);
    await eventually(
      async () => ((await stockOf(mugId)) === before + 2 ? true : undefined),
      'stock restored after refund',
    );
  });

  it('7. payment SIGKILLed after capturing, before its event was consumed → the order still reaches PAID; nothing stuck after the TTL', async () => {
    const carol = await newCustomer();
    // A payment process whose relay does not get to publish before it dies.
    stack.process('payment').signal('SIGTERM');
    await stack.process('payment').waitForExit(10_000);
    const slow = await stack.start('payment', { OUTBOX_RELAY_ENABLED: 'false' });

    const placed = await order('POST', '/api/v1/orders', {
      token: carol.token,
      body: { product_id: mugId, quantity: 1 },
    });
    expect(placed.status).toBe(201);
    const captured = await stack.pool.query(
      `SELECT p.status, o.published_at FROM payments.payments p JOIN payments.outbox o ON o.aggregate_id = p.order_id
        WHERE p.order_id = $1`,
      [placed.body.id],
    );
    expect(captured.rows).toEqual([{ status: 'succeeded', published_at: null }]);
    slow.signal('SIGKILL');
    expect((await slow.waitForExit(10_000)).signal).toBe('SIGKILL');

    // While the payment service is down the order API answers 503 problem+json instead of hanging.
    const during = await order('POST', '/api/v1/orders', {
      token: carol.token,
      body: { product_id: mugId, quantity: 1 },
    });
    expect(during.status).toBe(503);
    expect(during.headers.get('content-type')).toContain('application/problem+json');
    expect((await order('GET', `/api/v1/orders/${placed.body.id}`, { token: carol.token })).body.status).toBe(
      'AWAITING_PAYMENT',
    );

    await stack.start('payment');
    expect(await finalStatus(placed.body.id, carol.token)).toBe('PAID');

    // After the TTL every order is final, every payment belongs to an order, no stock is negative,
    // and no reservation is still held.
    await eventually(
      async () => {
        const { rows } = await stack.pool.query(
          `SELECT count(*)::int AS n FROM orders.orders WHERE status IN ('PENDING', 'AWAITING_PAYMENT')`,
        );
        return rows[0].n === 0 ? true : undefined;
      },
      'every order to be final',
      (ORDER_TTL_SECONDS + 15) * 1000,
      250,
    );
    const orphans = await stack.pool.query(
      `SELECT count(*)::int AS n FROM payments.payments p
        WHERE NOT EXISTS (SELECT 1 FROM orders.orders o WHERE o.id::text = p.order_id)`,
    );
    expect(orphans.rows[0].n).toBe(0);
    const negative = await stack.pool.query(
      'SELECT count(*)::int AS n FROM catalog.products WHERE stock < 0',
    );
    expect(negative.rows[0].n).toBe(0);
    await eventually(
      async () => {
        const { rows } = await stack.pool.query(
          `SELECT count(*)::int AS n FROM catalog.reservations WHERE status = 'RESERVED'`,
        );
        return rows[0].n === 0 ? true : undefined;
      },
      'no reservation left held',
      10_000,
    );
  });
});
