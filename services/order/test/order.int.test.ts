import { EVENT_STREAMS } from '@shop/contracts';
import { Outbox, streamKey } from '@shop/events';
import { ConflictError, DomainError } from '@shop/service-kit';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { DB_SCHEMA } from '../src/config.js';
import { createIdempotencyStore } from '../src/modules/orders/idempotency.store.js';
import {
  ALICE,
  BOB,
  type OrderApi,
  orderApi,
  orderStatus as orderStatusIn,
  outboxTypes as outboxTypesIn,
  type SeedStatus,
  seedOrder as seedOrderIn,
  startTestWorkers,
  useOrderApp,
} from './harness.js';

// Upstreams point at ports nothing listens on: the real "dependency is down" situation.
const running = useOrderApp('order');
let call: OrderApi;

beforeAll(async () => {
  call = await orderApi(running);
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Json = any;
const json = async (res: Response): Promise<Json> => res.json();

const seedOrder = (userId: string, status: SeedStatus, expiresInMs?: number) =>
  seedOrderIn(running.pool, { userId, status, ...(expiresInMs === undefined ? {} : { expiresInMs }) });
const outboxTypes = (orderId: string) => outboxTypesIn(running.pool, orderId);
const status = (orderId: string) => orderStatusIn(running.pool, orderId);

describe('POST /api/v1/orders validation', () => {
  it('requires a bearer token', async () => {
    const res = await call('POST', '/api/v1/orders', undefined, { product_id: 1, quantity: 2 });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('rejects client-sent price, total, status or user id with 400 and a pointer to the field', async () => {
    for (const body of [
      { product_id: 1, quantity: 2, price: 1 },
      { product_id: 1, quantity: 2, total: 1 },
      { product_id: 1, quantity: 2, status: 'PAID' },
      { product_id: 1, quantity: 2, user_id: BOB },
      { items: [{ product_id: 1, quantity: 1, unit_price: 5 }] },
    ]) {
      const res = await call('POST', '/api/v1/orders', 'alice', body);
      expect(res.status).toBe(400);
      const problem = await json(res);
      expect(problem.errors.map((e: { pointer: string }) => e.pointer).join()).toMatch(
        /price|total|status|user_id/,
      );
    }
  });

  it('rejects malformed bodies with 400 and non-JSON bodies with 415, never crashing', async () => {
    expect((await call('POST', '/api/v1/orders', 'alice', { product_id: 'one', quantity: 2 })).status).toBe(
      400,
    );
    expect((await call('POST', '/api/v1/orders', 'alice', { product_id: 1, quantity: 0 })).status).toBe(400);
    expect((await call('POST', '/api/v1/orders', 'alice', { items: [] })).status).toBe(400);
    expect((await call('POST', '/api/v1/orders', 'alice', '{"product_id":')).status).toBe(400);
    const text = await call('POST', '/api/v1/orders', 'alice', 'x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('answers 503 problem+json quickly when the product service is down, and the key stays usable', async () => {
    const headers = { 'Idempotency-Key': 'down-1' };
    const first = await call('POST', '/api/v1/orders', 'alice', { product_id: 1, quantity: 2 }, headers);
    expect(first.status).toBe(503);
    expect((await json(first)).code).toBe('ORDER.DEPENDENCY_UNAVAILABLE');
    // Not stored as a final answer: the same key is accepted again (and fails the same way).
    const again = await call('POST', '/api/v1/orders', 'alice', { product_id: 1, quantity: 2 }, headers);
    expect(again.status).toBe(503);
    // The saga kept one PENDING order for the key; the sweeper expires it if no retry succeeds.
    const { rows } = await running.pool.query(
      `SELECT status FROM orders.orders WHERE user_id = $1 AND idempotency_key = 'down-1'`,
      [ALICE],
    );
    expect(rows).toEqual([{ status: 'PENDING' }]);
  });

  it('answers 422 for a known Idempotency-Key with a different body', async () => {
    const res = await call(
      'POST',
      '/api/v1/orders',
      'alice',
      { product_id: 1, quantity: 3 },
      { 'Idempotency-Key': 'down-1' },
    );
    expect(res.status).toBe(422);
  });
});

describe('idempotency store', () => {
  it('gives the key to one request, answers in-progress to the rest, then replays or reports a mismatch', async () => {
    const store = createIdempotencyStore(running.redis, 60);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.begin('u1', 'k', 'fp')));
    expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'in_progress')).toHaveLength(19);
    expect(await store.begin('u1', 'k', 'other')).toEqual({ kind: 'mismatch' });
    await store.complete('u1', 'k', 'fp', { status: 201, body: { id: 'x' } });
    expect(await store.begin('u1', 'k', 'fp')).toEqual({
      kind: 'replay',
      response: { status: 201, body: { id: 'x' } },
    });
    // Scoped to the user: another user may use the same key.
    expect((await store.begin('u2', 'k', 'fp')).kind).toBe('started');
  });
});

describe('idempotency store runs', () => {
  it('stores a 4xx as its domain error and throws it again on a replay, marked Idempotent-Replayed; 5xx frees the key', async () => {
    const store = createIdempotencyStore(running.redis, 60);
    let calls = 0;
    const outOfStock = async (): Promise<never> => {
      calls += 1;
      throw new ConflictError({ code: 'ORDER.OUT_OF_STOCK', detail: 'only 1 left', headers: { 'X-A': '1' } });
    };
    await expect(store.run('u3', 'k', 'fp', outOfStock)).rejects.toMatchObject({ status: 409 });
    const replayed = await store.run('u3', 'k', 'fp', outOfStock).catch((err: unknown) => err);
    expect(replayed).toBeInstanceOf(DomainError);
    expect(replayed).toMatchObject({
      status: 409,
      code: 'ORDER.OUT_OF_STOCK',
      title: 'Conflict',
      detail: 'only 1 left',
      headers: { 'X-A': '1', 'Idempotent-Replayed': 'true' },
    });
    expect(calls).toBe(1);

    const ok = { status: 201, body: { id: 'x' }, headers: { Location: '/x' } };
    await expect(store.run('u3', 'k5', 'fp', () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await store.run('u3', 'k5', 'fp', async () => ok)).toEqual({ response: ok, replayed: false });
    expect(await store.run('u3', 'k5', 'fp', async () => ok)).toEqual({ response: ok, replayed: true });
  });
});

describe('reading and cancelling', () => {
  it('shows an order to its owner and admins and answers 404 to anyone else, also for cancel', async () => {
    const id = await seedOrder(ALICE, 'AWAITING_PAYMENT');
    expect((await call('GET', `/api/v1/orders/${id}`, 'alice')).status).toBe(200);
    expect((await call('GET', `/api/v1/orders/${id}`, 'admin')).status).toBe(200);
    expect((await call('GET', `/api/v1/orders/${id}`, 'bob')).status).toBe(404);
    expect((await call('POST', `/api/v1/orders/${id}/cancel`, 'bob')).status).toBe(404);
    expect(await status(id)).toBe('AWAITING_PAYMENT');
    expect((await call('GET', '/api/v1/orders/not-a-uuid', 'alice')).status).toBe(400);
  });

  it('lists only my orders, newest first, with a cursor', async () => {
    const mine = [
      await seedOrder(BOB, 'PAID'),
      await seedOrder(BOB, 'AWAITING_PAYMENT'),
      await seedOrder(BOB, 'PAID'),
    ];
    await seedOrder(ALICE, 'PAID');
    const first = await json(await call('GET', '/api/v1/orders?limit=2', 'bob'));
    expect(first.items.map((o: { id: string }) => o.id)).toEqual([mine[2], mine[1]]);
    expect(first.items[0].items[0]).toMatchObject({ product_id: 1, quantity: 2, unit_price: 1250 });
    const second = await json(await call('GET', `/api/v1/orders?limit=2&cursor=${first.next_cursor}`, 'bob'));
    expect(second.items.map((o: { id: string }) => o.id)).toEqual([mine[0]]);
    expect(second.next_cursor).toBeNull();
    expect((await call('GET', '/api/v1/orders?cursor=garbage', 'bob')).status).toBe(400);
  });

  it('cancels an unpaid order and emits order.cancelled so the stock is released', async () => {
    const id = await seedOrder(ALICE, 'AWAITING_PAYMENT');
    const res = await call('POST', `/api/v1/orders/${id}/cancel`, 'alice');
    expect(res.status).toBe(200);
    expect((await json(res)).status).toBe('CANCELLED');
    expect(await outboxTypes(id)).toEqual(['order.cancelled']);
    // Cancelling again is a no-op.
    expect((await call('POST', `/api/v1/orders/${id}/cancel`, 'alice')).status).toBe(200);
    expect(await outboxTypes(id)).toEqual(['order.cancelled']);
  });

  it('answers 503 when a paid order is cancelled while the payment service is down, leaving it PAID', async () => {
    const id = await seedOrder(ALICE, 'PAID');
    const res = await call('POST', `/api/v1/orders/${id}/cancel`, 'alice');
    expect(res.status).toBe(503);
    expect(await status(id)).toBe('PAID');
  });
});

describe('payment callbacks and expiry', () => {
  async function publishPaymentEvent(type: string, data: Record<string, unknown>) {
    const outbox = new Outbox(DB_SCHEMA); // a test-only producer writing straight to the stream
    const client = await running.pool.connect();
    try {
      await client.query('BEGIN');
      const env = await outbox.enqueue(client, {
        stream: EVENT_STREAMS.payments,
        type,
        aggregateId: String(data.order_id),
        data,
      });
      await client.query('ROLLBACK');
      const raw = new Redis(running.env.redisPrefix.url);
      // Published twice: at-least-once delivery must still apply the event once.
      for (let i = 0; i < 2; i++) {
        await raw.xadd(
          streamKey(running.env.redisPrefix.prefix, EVENT_STREAMS.payments),
          '*',
          'type',
          type,
          'event',
          JSON.stringify(env),
        );
      }
      raw.disconnect();
    } finally {
      client.release();
    }
  }

  async function waitFor(check: () => Promise<boolean>) {
    for (let i = 0; i < 150; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('condition not reached');
  }

  it('marks orders PAID / PAYMENT_FAILED / REFUNDED from payment events, each event applied once', async () => {
    const workers = await startTestWorkers(running, {
      outboxPollIntervalMs: 20,
      sweepIntervalMs: 60_000,
      events: { claimIdleMs: 1000, reclaimIntervalMs: 1000, maxDeliveries: 3 },
    });
    try {
      const paid = await seedOrder(ALICE, 'AWAITING_PAYMENT');
      const failed = await seedOrder(ALICE, 'AWAITING_PAYMENT');
      const payId = '5e000000-0000-4000-8000-0000000000aa';
      await publishPaymentEvent('payment.succeeded', {
        payment_id: payId,
        order_id: paid,
        amount: 2500,
        currency: 'USD',
        provider: 'sandbox',
        provider_ref: 'ch_1',
      });
      await publishPaymentEvent('payment.failed', {
        payment_id: '5e000000-0000-4000-8000-0000000000ab',
        order_id: failed,
        amount: 2500,
        currency: 'USD',
        failure_code: 'card_declined',
        failure_message: null,
      });
      await waitFor(
        async () => (await status(paid)) === 'PAID' && (await status(failed)) === 'PAYMENT_FAILED',
      );
      await publishPaymentEvent('payment.refunded', {
        payment_id: payId,
        order_id: paid,
        refund_id: '5e000000-0000-4000-8000-0000000000ac',
        amount: 2500,
        currency: 'USD',
        refunded_total: 2500,
        fully_refunded: true,
      });
      await waitFor(async () => (await status(paid)) === 'REFUNDED');
      expect(await outboxTypes(paid)).toEqual(['order.paid', 'order.cancelled']);
      expect(await outboxTypes(failed)).toEqual(['order.payment_failed']);
      const paidEvent = await running.pool.query(
        `SELECT envelope FROM orders.outbox WHERE aggregate_id = $1 AND type = 'order.paid'`,
        [paid],
      );
      expect(paidEvent.rows[0].envelope.data).toMatchObject({
        order_id: paid,
        total: 2500,
        currency: 'USD',
        items: [{ product_id: 1, quantity: 2 }],
      });
      // The relay publishes the order events for the product service.
      const raw = new Redis(running.env.redisPrefix.url);
      await waitFor(
        async () => (await raw.xlen(streamKey(running.env.redisPrefix.prefix, EVENT_STREAMS.orders))) >= 3,
      );
      raw.disconnect();
    } finally {
      await workers.stop();
    }
  });

  it('expires unpaid orders after their TTL exactly once even with concurrent sweepers', async () => {
    const due = [await seedOrder(BOB, 'AWAITING_PAYMENT', -1000), await seedOrder(BOB, 'PENDING', -1000)];
    const fresh = await seedOrder(BOB, 'AWAITING_PAYMENT', 60_000);
    const counts = await Promise.all([
      running.orders.expireDue(),
      running.orders.expireDue(),
      running.orders.expireDue(),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    for (const id of due) {
      expect(await status(id)).toBe('EXPIRED');
      expect(await outboxTypes(id)).toEqual(['order.expired']);
    }
    expect(await status(fresh)).toBe('AWAITING_PAYMENT');
  });

  it('serves its OpenAPI document and docs', async () => {
    const spec = await json(await call('GET', '/openapi.json'));
    expect(Object.keys(spec.paths)).toEqual([
      '/api/v1/orders',
      '/api/v1/orders/{id}',
      '/api/v1/orders/{id}/cancel',
    ]);
    expect((await call('GET', '/docs/')).status).toBe(200);
  });
});
