// The order service (express) as a real process with PostgreSQL and Redis behind TCP proxies that
// the tests cut: routes answer 503 problem+json (never 500), the relay, the payment-events consumer
// and the expiry sweeper outlive the outage (one log line each), and everything recovers without a
// restart.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { byMessage, pollUntil } from '@shop/testing';
import { expectUnavailable, useServiceBehindProxies } from '@shop/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, createOrderTestEnv, orderServiceEnv, seedOrder } from './harness.js';

const service = useServiceBehindProxies(
  () => createOrderTestEnv('order_outage'),
  async (env) => ({
    entry: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
    env: await orderServiceEnv(env, {
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
      DB_CONNECTION_TIMEOUT: '2',
      OUTBOX_POLL_INTERVAL_MS: '50',
      ORDER_SWEEP_INTERVAL_MS: '100',
    }),
  }),
);
let pool: pg.Pool;
let url: string;
let alice: string;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: service.env.db.url, max: 2 });
  url = service.app.url;
  alice = await service.env.tokens.sign({ role: 'customer', sub: ALICE });
});
afterAll(async () => {
  await pool?.end();
});

const count = (msg: string) => service.logCount(msg);
const asAlice = (path: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${alice}`, ...init.headers } });
const placeOrder = (body: unknown = { product_id: 1, quantity: 1 }) =>
  asAlice('/api/v1/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('order service during dependency outages (real process)', () => {
  it('answers 503 on its database routes while PostgreSQL is cut, keeps relay and sweeper alive and recovers', async () => {
    const order = await seedOrder(pool, { userId: ALICE, status: 'AWAITING_PAYMENT' });
    expect((await asAlice(`/api/v1/orders/${order}`)).status).toBe(200);
    const relayFailures = count('outbox relay failed; retrying with backoff');
    const sweeperFailures = count('order expiry sweeper failed; retrying with backoff');

    await service.deps.postgres.stop();
    await expectUnavailable(await asAlice('/api/v1/orders'));
    await expectUnavailable(await asAlice(`/api/v1/orders/${order}`));
    await expectUnavailable(await asAlice(`/api/v1/orders/${order}/cancel`, { method: 'POST' }));
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ checks: { postgres: { status: 'down', reason: 'down' } } });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await pollUntil(
      async () => [
        count('outbox relay failed; retrying with backoff'),
        count('order expiry sweeper failed; retrying with backoff'),
      ],
      ([relay, sweeper]) => relay! > relayFailures && sweeper! > sweeperFailures,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Polling every 50/100 ms through the whole outage, each loop still said it once.
    expect(count('outbox relay failed; retrying with backoff')).toBe(relayFailures + 1);
    expect(count('order expiry sweeper failed; retrying with backoff')).toBe(sweeperFailures + 1);

    await service.deps.postgres.start();
    const cancelled = await pollUntil(
      () => asAlice(`/api/v1/orders/${order}/cancel`, { method: 'POST' }),
      (r) => r.status === 200,
    );
    expect(((await cancelled.json()) as { status: string }).status).toBe('CANCELLED');
    // The cancellation's event leaves through the relay once it is back.
    await pollUntil(
      async () =>
        (await pool.query('SELECT count(*)::int AS n FROM orders.outbox WHERE published_at IS NULL')).rows[0]
          .n,
      (n) => n === 0,
    );
    await service.app.waitForLog(byMessage('outbox relay recovered'));
    await service.app.waitForLog(byMessage('order expiry sweeper recovered'));
    expect(service.app.exited).toBe(false);
    expect(service.logCount('request failed with an unexpected error')).toBe(0);
  });

  it('answers a new order 503 while Redis (idempotency keys, events) is cut, and its consumer resumes', async () => {
    await service.deps.redis.stop();
    await expectUnavailable(await placeOrder());
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    await service.app.waitForLog(byMessage('stream consumer failed; retrying with backoff'));

    await service.deps.redis.start();
    await service.app.waitForLog(byMessage('stream consumer recovered'), 15_000);
    await pollUntil(
      () => fetch(`${url}/readyz`),
      (r) => r.status === 200,
    );
    expect(service.app.exited).toBe(false);
  });

  it('answers 503 ORDER.DEPENDENCY_UNAVAILABLE while the product service is unreachable', async () => {
    await expectUnavailable(await placeOrder(), 'ORDER.DEPENDENCY_UNAVAILABLE');
  });

  it('answers a 5 MB body sent with fetch with a readable 413 problem', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await placeOrder(
        JSON.stringify({ product_id: 1, quantity: 1, note: 'x'.repeat(5 * 1024 * 1024) }),
      );
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'REQUEST.BODY_TOO_LARGE' });
    }
  });
});
