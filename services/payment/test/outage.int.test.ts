// The payment service as a real process with PostgreSQL and Redis behind TCP proxies that the tests
// cut: routes answer 503 problem+json (never 500), the relay, the sandbox's webhook dispatcher and
// the recovery loop outlive the outage (one log line each), and everything recovers without a restart.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { byMessage, pollUntil } from '@shop/testing';
import { expectUnavailable, useServiceBehindProxies } from '@shop/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentTestEnv, INTERNAL_TOKEN, paymentServiceEnv } from './harness.js';

const service = useServiceBehindProxies(
  () => createPaymentTestEnv('payment_outage'),
  async (env) => ({
    entry: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
    env: paymentServiceEnv(env, {
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
      DB_CONNECTION_TIMEOUT: '2',
      OUTBOX_POLL_INTERVAL_MS: '50',
      SANDBOX_WEBHOOK_POLL_MS: '50',
      SANDBOX_ASYNC_DELAY_MS: '200',
      PAYMENT_RECOVERY_INTERVAL_MS: '100',
    }),
  }),
);
let pool: pg.Pool;
let url: string;
let admin: string;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: service.env.db.url, max: 2 });
  url = service.app.url;
  admin = await service.env.tokens.sign({ role: 'admin', sub: '00000000-0000-4000-8000-000000000001' });
});
afterAll(async () => {
  await pool?.end();
});

const count = (msg: string) => service.logCount(msg);
const LOOPS = ['outbox relay', 'sandbox webhook dispatcher', 'payment recovery'];

function pay(paymentMethod = 'tok_success', body?: string) {
  const orderId = randomUUID();
  return fetch(`${url}/api/v1/payments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-internal-token': INTERNAL_TOKEN,
      'idempotency-key': orderId,
    },
    body:
      body ??
      JSON.stringify({ order_id: orderId, amount: 1999, currency: 'USD', payment_method: paymentMethod }),
  });
}
const reconcile = () =>
  fetch(`${url}/api/v1/payments/reconciliations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ date: new Date().toISOString().slice(0, 10) }),
  });

describe('payment service during dependency outages (real process)', () => {
  it('answers 503 while PostgreSQL is cut, keeps relay, dispatcher and recovery alive and completes an async payment after it', async () => {
    const paid = await pay();
    expect(paid.status).toBe(201);
    const { id } = (await paid.json()) as { id: string };
    const before = LOOPS.map((loop) => count(`${loop} failed; retrying with backoff`));

    await service.deps.postgres.stop();
    await expectUnavailable(await pay());
    await expectUnavailable(
      await fetch(`${url}/api/v1/payments/${id}`, { headers: { 'x-internal-token': INTERNAL_TOKEN } }),
    );
    await expectUnavailable(await reconcile());
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ checks: { postgres: { status: 'down', reason: 'down' } } });
    await pollUntil(
      async () => LOOPS.map((loop) => count(`${loop} failed; retrying with backoff`)),
      (now) => now.every((n, i) => n > before[i]!),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Each loop polls every 50-100 ms through the outage and still says it once.
    expect(LOOPS.map((loop) => count(`${loop} failed; retrying with backoff`))).toEqual(
      before.map((n) => n + 1),
    );

    await service.deps.postgres.start();
    const pending = await pollUntil(
      () => pay('tok_async'),
      (r) => r.status === 201,
    );
    const asyncPayment = (await pending.json()) as { id: string; status: string };
    expect(asyncPayment.status).toBe('pending');
    // The dispatcher confirms it and delivers the signed webhook once it is running again.
    await pollUntil(
      async () =>
        (await (
          await fetch(`${url}/api/v1/payments/${asyncPayment.id}`, {
            headers: { 'x-internal-token': INTERNAL_TOKEN },
          })
        ).json()) as { status: string },
      (p) => p.status === 'succeeded',
    );
    for (const loop of LOOPS) await service.app.waitForLog(byMessage(`${loop} recovered`));
    expect(service.app.exited).toBe(false);
    expect(service.logCount('request failed with an unexpected error')).toBe(0);
  });

  it('answers the reconciliation 503 while Redis (its lock) is cut, keeps taking payments and publishes their events after it', async () => {
    await service.deps.redis.stop();
    await expectUnavailable(await reconcile());
    const paid = await pay();
    expect(paid.status).toBe(201);
    await service.app.waitForLog(byMessage('outbox relay failed; retrying with backoff'));

    await service.deps.redis.start();
    await pollUntil(
      async () =>
        (await pool.query('SELECT count(*)::int AS n FROM payments.outbox WHERE published_at IS NULL'))
          .rows[0].n,
      (n) => n === 0,
    );
    expect((await pollUntil(reconcile, (r) => r.status === 200)).status).toBe(200);
    expect(service.app.exited).toBe(false);
  });

  it('answers a 5 MB body sent with fetch with a readable 413 problem', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await pay(
        'tok_success',
        JSON.stringify({ order_id: randomUUID(), blob: 'x'.repeat(5 * 1024 * 1024) }),
      );
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'REQUEST.BODY_TOO_LARGE' });
    }
  });
});
