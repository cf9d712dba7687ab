import { reservationSchema } from '@shop/contracts';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createReservationSweeper } from '../src/modules/inventory/reservation-sweeper.js';
import { createProduct, internal, startProductApp, useProductApp } from './harness.js';

const running = useProductApp('inventory');
let admin: string;

beforeAll(async () => {
  admin = await running.env.sign({ role: 'admin' });
});

let orderCounter = 0;
const orderId = () => {
  orderCounter += 1;
  return `order-${Date.now().toString(36)}-${orderCounter}`;
};

const reserve = (body: object, headers: Record<string, string> = internal) =>
  running.app.inject({ method: 'POST', url: '/internal/v1/reservations', headers, payload: body });
const transition = (id: string, action: 'commit' | 'release' | 'restock') =>
  running.app.inject({ method: 'POST', url: `/internal/v1/reservations/${id}/${action}`, headers: internal });
const stockOf = async (id: number) =>
  (await running.pool.query<{ stock: number }>('SELECT stock FROM catalog.products WHERE id = $1', [id]))
    .rows[0]!.stock;

describe('internal token', () => {
  it('refuses calls without or with a wrong X-Internal-Token with 401', async () => {
    const body = { order_id: orderId(), items: [{ product_id: 1, quantity: 1 }] };
    expect((await reserve(body, {})).statusCode).toBe(401);
    const wrong = await reserve(body, { 'x-internal-token': 'guess' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('AUTH.INVALID_INTERNAL_TOKEN');
    expect(
      (await running.app.inject({ method: 'POST', url: '/internal/v1/reservations/x/commit' })).statusCode,
    ).toBe(401);
  });

  it('refuses every call when no token is configured', async () => {
    const app = await startProductApp(running.env, { internalToken: undefined });
    try {
      const res = await app.app.inject({
        method: 'POST',
        url: '/internal/v1/reservations',
        headers: internal,
        payload: { order_id: orderId(), items: [{ product_id: 1, quantity: 1 }] },
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('reserve', () => {
  it('reserves all lines with unit prices and currency, matching the shared contract', async () => {
    const a = await createProduct(running, admin, { price_amount: 1250, stock: 5 });
    const b = await createProduct(running, admin, { price_amount: 99, stock: 3 });
    const res = await reserve({
      order_id: orderId(),
      items: [
        { product_id: a.id, quantity: 2 },
        { product_id: b.id, quantity: 3 },
      ],
    });
    expect(res.statusCode).toBe(201);
    const reservation = reservationSchema.parse(res.json());
    expect(reservation).toMatchObject({
      status: 'RESERVED',
      currency: 'USD',
      total_amount: 2 * 1250 + 3 * 99,
    });
    expect(reservation.items).toEqual([
      expect.objectContaining({ product_id: a.id, quantity: 2, unit_price: 1250, line_total: 2500 }),
      expect.objectContaining({ product_id: b.id, quantity: 3, unit_price: 99, currency: 'USD' }),
    ]);
    expect(await stockOf(a.id)).toBe(3);
    expect(await stockOf(b.id)).toBe(0);
  });

  it('is idempotent per order_id: the same request returns the same reservation without taking stock twice', async () => {
    const p = await createProduct(running, admin, { stock: 10 });
    const body = { order_id: orderId(), items: [{ product_id: p.id, quantity: 4 }] };
    const first = await reserve(body);
    const second = await reserve(body);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await stockOf(p.id)).toBe(6);
    const conflicting = await reserve({ ...body, items: [{ product_id: p.id, quantity: 5 }] });
    expect(conflicting.statusCode).toBe(409);
    expect(conflicting.json().code).toBe('INVENTORY.RESERVATION_CONFLICT');
  });

  it('takes stock once when the same order is reserved concurrently', async () => {
    const p = await createProduct(running, admin, { stock: 10 });
    const body = { order_id: orderId(), items: [{ product_id: p.id, quantity: 3 }] };
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve(body)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
    ]);
    expect(await stockOf(p.id)).toBe(7);
  });

  it('is all-or-nothing: one short line reserves nothing and answers 409 naming the line', async () => {
    const plenty = await createProduct(running, admin, { stock: 100 });
    const scarce = await createProduct(running, admin, { stock: 1 });
    const res = await reserve({
      order_id: orderId(),
      items: [
        { product_id: plenty.id, quantity: 5 },
        { product_id: scarce.id, quantity: 2 },
      ],
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'INVENTORY.INSUFFICIENT_STOCK',
      errors: [{ pointer: '/body/items/1/product_id', detail: 'only 1 left' }],
    });
    expect(await stockOf(plenty.id)).toBe(100);
    expect(await stockOf(scarce.id)).toBe(1);
  });

  it('lets an order retry after a rejected attempt (nothing was recorded)', async () => {
    const p = await createProduct(running, admin, { stock: 1 });
    const body = { order_id: orderId(), items: [{ product_id: p.id, quantity: 2 }] };
    expect((await reserve(body)).statusCode).toBe(409);
    await running.pool.query('UPDATE catalog.products SET stock = 5 WHERE id = $1', [p.id]);
    expect((await reserve(body)).statusCode).toBe(201);
  });

  it('merges repeated lines of the same product', async () => {
    const p = await createProduct(running, admin, { stock: 10 });
    const res = await reserve({
      order_id: orderId(),
      items: [
        { product_id: p.id, quantity: 2 },
        { product_id: p.id, quantity: 3 },
      ],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().items).toEqual([expect.objectContaining({ product_id: p.id, quantity: 5 })]);
    expect(await stockOf(p.id)).toBe(5);
  });

  it('answers 422 for unknown, inactive, deleted or mixed-currency products and 400 for bad bodies', async () => {
    const inactive = await createProduct(running, admin, { status: 'inactive' });
    const eur = await createProduct(running, admin, { currency: 'EUR' });
    const usd = await createProduct(running, admin, { currency: 'USD' });
    const deleted = await createProduct(running, admin);
    await running.app.inject({
      method: 'DELETE',
      url: `/api/v1/products/${deleted.id}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    const cases: Array<[object, number, string?]> = [
      [
        { order_id: orderId(), items: [{ product_id: 9_999_999, quantity: 1 }] },
        422,
        'INVENTORY.UNKNOWN_PRODUCT',
      ],
      [
        { order_id: orderId(), items: [{ product_id: deleted.id, quantity: 1 }] },
        422,
        'INVENTORY.UNKNOWN_PRODUCT',
      ],
      [
        { order_id: orderId(), items: [{ product_id: inactive.id, quantity: 1 }] },
        422,
        'INVENTORY.PRODUCT_UNAVAILABLE',
      ],
      [
        {
          order_id: orderId(),
          items: [
            { product_id: eur.id, quantity: 1 },
            { product_id: usd.id, quantity: 1 },
          ],
        },
        422,
        'INVENTORY.CURRENCY_MISMATCH',
      ],
      [{ order_id: orderId(), items: [] }, 400],
      [{ order_id: orderId(), items: [{ product_id: usd.id, quantity: 0 }] }, 400],
      [{ order_id: orderId(), items: [{ product_id: usd.id, quantity: -5 }] }, 400],
      [
        { order_id: "x'; DROP TABLE catalog.products; --", items: [{ product_id: usd.id, quantity: 1 }] },
        400,
      ],
      [{ items: [{ product_id: usd.id, quantity: 1 }] }, 400],
    ];
    for (const [body, status, code] of cases) {
      const res = await reserve(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      if (code) expect(res.json().code).toBe(code);
    }
    expect(await stockOf(usd.id)).toBe(10);
  });

  it('never oversells: of 200 concurrent single-unit reservations for 50 units exactly 50 succeed', async () => {
    const p = await createProduct(running, admin, { stock: 50 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        reserve({ order_id: `race-${p.id}-${i}`, items: [{ product_id: p.id, quantity: 1 }] }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(50);
    expect(statuses.filter((s) => s === 409)).toHaveLength(150);
    expect(await stockOf(p.id)).toBe(0);
    const { rows } = await running.pool.query<{ reserved: string }>(
      `SELECT sum(quantity) AS reserved FROM catalog.reservation_items WHERE product_id = $1`,
      [p.id],
    );
    expect(Number(rows[0]!.reserved)).toBe(50);
  });

  it('cannot push stock below zero even by a direct SQL update (CHECK constraint)', async () => {
    const p = await createProduct(running, admin, { stock: 1 });
    await expect(
      running.pool.query('UPDATE catalog.products SET stock = stock - 2 WHERE id = $1', [p.id]),
    ).rejects.toMatchObject({
      code: '23514',
    });
  });
});

describe('commit and release', () => {
  it('commit is idempotent and keeps the stock taken; release afterwards answers 409', async () => {
    const p = await createProduct(running, admin, { stock: 5 });
    const id = orderId();
    await reserve({ order_id: id, items: [{ product_id: p.id, quantity: 2 }] });
    const first = await transition(id, 'commit');
    expect(first.statusCode).toBe(200);
    expect(first.json().status).toBe('COMMITTED');
    expect((await transition(id, 'commit')).statusCode).toBe(200);
    const release = await transition(id, 'release');
    expect(release.statusCode).toBe(409);
    expect(release.json().code).toBe('INVENTORY.RESERVATION_COMMITTED');
    expect(await stockOf(p.id)).toBe(3);
  });

  it('release returns the stock once, is idempotent, and a later commit answers 409', async () => {
    const p = await createProduct(running, admin, { stock: 5 });
    const id = orderId();
    await reserve({ order_id: id, items: [{ product_id: p.id, quantity: 4 }] });
    expect(await stockOf(p.id)).toBe(1);
    const released = await transition(id, 'release');
    expect(released.statusCode).toBe(200);
    expect(released.json().status).toBe('RELEASED');
    expect((await transition(id, 'release')).statusCode).toBe(200);
    expect(await stockOf(p.id)).toBe(5);
    const commit = await transition(id, 'commit');
    expect(commit.statusCode).toBe(409);
    expect(commit.json().code).toBe('INVENTORY.RESERVATION_RELEASED');
    // Replaying the reserve call returns the released reservation; it does not take stock again.
    const replay = await reserve({ order_id: id, items: [{ product_id: p.id, quantity: 4 }] });
    expect(replay.json().status).toBe('RELEASED');
    expect(await stockOf(p.id)).toBe(5);
  });

  it('restock returns the stock of a committed (refunded) order exactly once', async () => {
    const p = await createProduct(running, admin, { stock: 6 });
    const id = orderId();
    await reserve({ order_id: id, items: [{ product_id: p.id, quantity: 4 }] });
    await transition(id, 'commit');
    expect(await stockOf(p.id)).toBe(2);
    const first = await transition(id, 'restock');
    expect(first.statusCode).toBe(200);
    expect(first.json().status).toBe('RETURNED');
    expect((await transition(id, 'restock')).statusCode).toBe(200);
    expect(await stockOf(p.id)).toBe(6);
    expect((await transition(id, 'commit')).statusCode).toBe(409);
    expect((await transition(id, 'release')).statusCode).toBe(409);
    // A still-reserved order is simply released.
    const open = orderId();
    await reserve({ order_id: open, items: [{ product_id: p.id, quantity: 1 }] });
    expect((await transition(open, 'restock')).json().status).toBe('RELEASED');
    expect(await stockOf(p.id)).toBe(6);
  });

  it('answers 404 for orders without a reservation', async () => {
    for (const action of ['commit', 'release', 'restock'] as const) {
      const res = await transition('no-such-order', action);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('INVENTORY.RESERVATION_NOT_FOUND');
    }
  });

  it('are callable from code (the event consumer path) with the same idempotence', async () => {
    const p = await createProduct(running, admin, { stock: 5 });
    const id = orderId();
    await running.modules.inventory.reserve({ order_id: id, items: [{ product_id: p.id, quantity: 1 }] });
    await running.modules.inventory.commit(id);
    await expect(running.modules.inventory.commit(id)).resolves.toMatchObject({ status: 'COMMITTED' });
  });

  it('shows the new stock on the cached product read after a reservation and a release', async () => {
    const p = await createProduct(running, admin, { stock: 8 });
    const read = async () =>
      (await running.app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).json();
    expect((await read()).stock).toBe(8);
    const id = orderId();
    await reserve({ order_id: id, items: [{ product_id: p.id, quantity: 3 }] });
    expect((await read()).stock).toBe(5);
    await transition(id, 'release');
    expect((await read()).stock).toBe(8);
  });
});

describe('expiry', () => {
  it('returns the stock of reservations past their TTL and refuses to commit them', async () => {
    const p = await createProduct(running, admin, { stock: 5 });
    const expiring = orderId();
    const lasting = orderId();
    await reserve({ order_id: expiring, items: [{ product_id: p.id, quantity: 2 }], ttl_seconds: 60 });
    await reserve({ order_id: lasting, items: [{ product_id: p.id, quantity: 1 }], ttl_seconds: 3600 });
    expect(await stockOf(p.id)).toBe(2);
    const start = running.clock.now;
    try {
      running.clock.now = new Date(start.getTime() + 61_000);
      const sweeper = createReservationSweeper({
        inventory: running.modules.inventory,
        intervalMs: 1000,
        logger: { debug: () => {}, info: () => {}, warn: () => {} },
      });
      expect(await sweeper.runOnce()).toBeGreaterThanOrEqual(1);
      expect(await stockOf(p.id)).toBe(4);
      const commit = await transition(expiring, 'commit');
      expect(commit.statusCode).toBe(409);
      expect((await transition(lasting, 'commit')).statusCode).toBe(200);
      const status = await running.app.inject({
        method: 'GET',
        url: `/internal/v1/reservations/${expiring}`,
        headers: internal,
      });
      expect(status.json().status).toBe('EXPIRED');
    } finally {
      running.clock.now = start;
    }
  });

  it('expires an overdue reservation on commit even before the sweeper ran', async () => {
    const p = await createProduct(running, admin, { stock: 3 });
    const id = orderId();
    await reserve({ order_id: id, items: [{ product_id: p.id, quantity: 3 }], ttl_seconds: 10 });
    const start = running.clock.now;
    try {
      running.clock.now = new Date(start.getTime() + 11_000);
      const res = await transition(id, 'commit');
      expect(res.statusCode).toBe(409);
      expect(await stockOf(p.id)).toBe(3);
    } finally {
      running.clock.now = start;
    }
  });

  it('returns each expired reservation exactly once when several replicas sweep at the same time', async () => {
    const p = await createProduct(running, admin, { stock: 40 });
    for (let i = 0; i < 20; i += 1) {
      await reserve({
        order_id: `sweep-${p.id}-${i}`,
        items: [{ product_id: p.id, quantity: 2 }],
        ttl_seconds: 5,
      });
    }
    expect(await stockOf(p.id)).toBe(0);
    const start = running.clock.now;
    try {
      running.clock.now = new Date(start.getTime() + 6_000);
      // Four "replicas" with small batches race over the same rows.
      const counts = await Promise.all([1, 2, 3, 4].map(() => running.modules.inventory.expireDue(3)));
      let total = counts.reduce((a, b) => a + b, 0);
      while (true) {
        const more = await running.modules.inventory.expireDue(50);
        if (more === 0) break;
        total += more;
      }
      expect(total).toBeGreaterThanOrEqual(20);
      expect(await stockOf(p.id)).toBe(40);
      const { rows } = await running.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM catalog.reservations WHERE order_id LIKE $1 AND status = 'EXPIRED'`,
        [`sweep-${p.id}-%`],
      );
      expect(Number(rows[0]!.n)).toBe(20);
    } finally {
      running.clock.now = start;
    }
  });

  it('runs on an interval once started and stops cleanly', async () => {
    const sleeps: number[] = [];
    let wake: () => void = () => {};
    const sweeper = createReservationSweeper({
      inventory: running.modules.inventory,
      intervalMs: 5000,
      logger: { debug: () => {}, info: () => {}, warn: () => {} },
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener('abort', () => resolve());
        });
      },
    });
    sweeper.start();
    // It waits one interval before the first round, then one after each round.
    expect(sleeps).toEqual([5000]);
    wake();
    await vi.waitFor(() => expect(sleeps).toEqual([5000, 5000]));
    await sweeper.stop();
    expect(sweeper.name).toBe('reservation-sweeper');
  });
});
