// The product service as a real process with PostgreSQL and Redis behind TCP proxies that the tests
// cut: database routes answer 503 problem+json (never 500), the Redis cache degrades to PostgreSQL,
// the reservation sweeper and the order-event consumer outlive the outage (one log line each) and
// everything recovers without a restart.
import { fileURLToPath } from 'node:url';
import { byMessage, pollUntil } from '@shop/testing';
import { expectUnavailable, useServiceBehindProxies } from '@shop/testing/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { auth, createProductTestEnv, INTERNAL_TOKEN } from './harness.js';

const service = useServiceBehindProxies(
  () => createProductTestEnv('product_outage'),
  async (env) => ({
    entry: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
    env: env.serviceEnv({
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
      DB_CONNECTION_TIMEOUT: '2',
      JWKS_URL: env.jwksUrl,
      INTERNAL_API_TOKEN: INTERNAL_TOKEN,
      RESERVATION_SWEEP_INTERVAL_MS: '100',
    }),
  }),
);
let url: string;
let admin: string;
beforeAll(async () => {
  url = service.app.url;
  admin = await service.env.sign({ role: 'admin' });
});

const count = (msg: string) => service.logCount(msg);
let sku = 0;
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function createProduct(): Promise<number> {
  sku += 1;
  const res = await fetch(
    `${url}/api/v1/products`,
    json(
      {
        sku: `OUT-${Date.now().toString(36)}-${sku}`,
        name: `Outage ${sku}`,
        price_amount: 500,
        currency: 'USD',
        stock: 5,
      },
      auth(admin),
    ),
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

describe('product service during dependency outages (real process)', () => {
  it('answers 503 on search, reads and reservations while PostgreSQL is cut, keeps its sweeper alive and recovers', async () => {
    const cached = await createProduct();
    const uncached = await createProduct();
    expect((await fetch(`${url}/api/v1/products/${cached}`)).status).toBe(200);
    const sweeperFailures = count('reservation sweeper failed; retrying with backoff');

    await service.deps.postgres.stop();
    await expectUnavailable(await fetch(`${url}/api/v1/products?q=outage&limit=5`));
    await expectUnavailable(await fetch(`${url}/api/v1/products/${uncached}`));
    await expectUnavailable(
      await fetch(
        `${url}/internal/v1/reservations`,
        json(
          { order_id: 'outage-order-1', items: [{ product_id: uncached, quantity: 1 }] },
          { 'x-internal-token': INTERNAL_TOKEN },
        ),
      ),
    );
    // Served from the Redis cache without the database.
    expect((await fetch(`${url}/api/v1/products/${cached}`)).status).toBe(200);
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ checks: { postgres: { status: 'down', reason: 'down' } } });
    // The sweeper (every 100 ms) fails for the whole outage but says so once.
    await pollUntil(
      async () => count('reservation sweeper failed; retrying with backoff'),
      (n) => n > sweeperFailures,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(count('reservation sweeper failed; retrying with backoff')).toBe(sweeperFailures + 1);

    await service.deps.postgres.start();
    const search = await pollUntil(
      () => fetch(`${url}/api/v1/products?q=outage&limit=5`),
      (r) => r.status === 200,
    );
    expect(search.status).toBe(200);
    await service.app.waitForLog(byMessage('reservation sweeper recovered'));
    expect(service.app.exited).toBe(false);
    expect(service.logCount('request failed with an unexpected error')).toBe(0);
  });

  it('keeps serving product reads from PostgreSQL while Redis is cut (cache only), and its consumer resumes', async () => {
    const id = await createProduct();
    await service.deps.redis.stop();
    expect((await fetch(`${url}/api/v1/products/${id}`)).status).toBe(200);
    // Redis is not critical here: ready, with the cache reported down.
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ checks: { redis: { status: 'down', critical: false } } });
    await service.app.waitForLog(byMessage('stream consumer failed; retrying with backoff'));

    await service.deps.redis.start();
    await service.app.waitForLog(byMessage('stream consumer recovered'), 15_000);
    expect(service.app.exited).toBe(false);
  });

  it('answers a 5 MB body sent with fetch with a readable 413 problem', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(
        `${url}/api/v1/products`,
        json({ name: 'x'.repeat(5 * 1024 * 1024) }, auth(admin)),
      );
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'REQUEST.BODY_TOO_LARGE' });
    }
  });
});
