// Runtime fault flags against the four real services (processes on one flags file, as compose and the
// ConfigMap mount it): each flag is flipped by rewriting the file while the services run, the behaviour
// moves as the README's table says, the flag is flipped back and the behaviour recovers — no restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LoadOptions, runLoad } from '@shop/loadgen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually } from './support/client.js';
import { type FlagValues, metricsShowFlags, writeFlagsFile } from './support/flags.js';
import { ADMIN, SERVICES, type ServiceName, type Stack, seedCatalog, startStack } from './support/stack.js';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;
let work: string;
let flagsFile: string;
let customer: string;
const run = Date.now().toString(36);

const writeFlags = (values: FlagValues) => writeFlagsFile(flagsFile, values);

const metricsOf = async (service: ServiceName) =>
  (await api(stack.url(service), 'GET', '/metrics')).body as unknown as string;

/** Sets the flags and waits until `service` reports the new value on /metrics (`shop_fault_flag`). */
async function flip(service: ServiceName, values: FlagValues): Promise<number> {
  const started = Date.now();
  writeFlags(values);
  await eventually(
    async () => {
      return metricsShowFlags(await metricsOf(service), values) ? true : undefined;
    },
    `${service} to see ${JSON.stringify(values)}`,
    10_000,
    20,
  );
  return Date.now() - started;
}

const allOff = () => writeFlags({});

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

const placeOrder = (paymentMethod = 'tok_success') =>
  api(stack.url('order'), 'POST', '/api/v1/orders', {
    token: customer,
    body: { items: [{ product_id: 1, quantity: 1 }], payment_method: paymentMethod },
    headers: { 'Idempotency-Key': `flags-${run}-${Math.random()}` },
  });

const load = (over: Partial<LoadOptions>) =>
  runLoad({
    services: Object.fromEntries(SERVICES.map((s) => [s, stack.url(s)])),
    arrivalRate: 10,
    durationMs: 20_000,
    maxJourneys: 30,
    users: 3,
    thinkTime: { distribution: 'fixed', ms: 5 },
    pollIntervalMs: 50,
    admin: { username: ADMIN.username, password: ADMIN.password },
    seed: 11,
    progressIntervalMs: 100_000,
    ...over,
  });

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'shop-flags-'));
  flagsFile = path.join(work, 'flags.json');
  allOff();
  const env = { FLAGS_FILE: flagsFile, FLAGS_POLL_INTERVAL_MS: '500' };
  stack = await startStack({
    orderTtlSeconds: 60,
    env: { user: env, product: env, payment: env, order: env },
  });
  await seedCatalog(stack);
  const username = `flags_${run}`;
  const reg = await api(stack.url('user'), 'POST', '/api/v1/users', {
    body: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  expect(reg.status).toBe(201);
  const login = await api(stack.url('user'), 'POST', '/api/v1/users/login', {
    body: { username, password: PASSWORD },
  });
  customer = login.body.access_token as string;
});

afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('runtime fault flags on the running services', () => {
  it('every service starts with every flag off and reloads a rewritten file within a second', async () => {
    for (const service of SERVICES) {
      expect(await metricsOf(service)).toMatch(/^shop_fault_flag\{flag="paymentFailure"[^}]*\} 0$/m);
    }
    const latency = [];
    for (const service of SERVICES) latency.push(await flip(service, { userLoginSlow: 1 }));
    allOff();
    // fs.watch answers in milliseconds; the poll (500 ms here, 2 s by default) is only the fallback.
    expect(Math.max(...latency)).toBeLessThan(1000);
  });

  it('paymentFailure=50: the load generator sees checkouts fail (payment 502s, orders PAYMENT_FAILED), then recovers', async () => {
    await flip('payment', { paymentFailure: 50 });
    // The order service retries the keyed payment call (SERVICE_RETRY) and answers 503 only when every
    // attempt failed; a charge left processing by a 502 is settled by payment's recovery — failed for
    // about half of them, so the shopper's order ends PAYMENT_FAILED.
    const failing = await load({ mix: { checkout: 1 }, retry: { attempts: 0 } });
    expect(failing.totals.errors).toBeGreaterThan(0);
    expect(failing.steps['checkout.settled']?.statusCounts.PAYMENT_FAILED ?? 0).toBeGreaterThan(0);
    expect(await metricsOf('payment')).toMatch(
      /^http_requests_total\{method="POST",route="\/api\/v1\/payments",status="502"[^}]*\} [1-9]/m,
    );

    await flip('payment', { paymentFailure: 0 });
    // The failures may have opened the order service's breaker for payment: it lets one trial call
    // through after CIRCUIT_BREAKER_RESET_MS (1 s here) and closes when it succeeds. Recovery is that
    // first checkout succeeding; from then on every checkout does.
    await eventually(
      async () => ((await placeOrder()).status === 201 ? true : undefined),
      'a checkout to succeed after paymentFailure is off',
      20_000,
      300,
    );
    expect(await metricsOf('order')).toMatch(/^http_client_circuit_state\{upstream="payment"[^}]*\} 0$/m);
    const healthy = await load({ mix: { checkout: 1 }, retry: { attempts: 0 } });
    expect(healthy.totals.errors, JSON.stringify(healthy.errorSamples)).toBe(0);
    expect(healthy.ordersByStatus.PAID).toBeGreaterThan(0);
  });

  it('paymentSlow: a checkout waits at least the added milliseconds, then is fast again', async () => {
    await flip('payment', { paymentSlow: 1500 });
    const slow = await timed(() => placeOrder());
    expect(slow.value.status).toBe(201);
    expect(slow.ms).toBeGreaterThanOrEqual(1500);
    await flip('payment', { paymentSlow: 0 });
    const fast = await timed(() => placeOrder());
    expect(fast.value.status).toBe(201);
    expect(fast.ms).toBeLessThan(1500);
  });

  it("paymentUnreachable: payment answers 503, the order service's breaker opens; off again, it closes", async () => {
    await flip('payment', { paymentUnreachable: true });
    const direct = await api(
      stack.url('payment'),
      'GET',
      '/api/v1/payments/00000000-0000-4000-8000-000000000000',
    );
    expect(direct.status).toBe(503);
    expect(direct.body.code).toBe('PAYMENT.UNREACHABLE');
    expect((await api(stack.url('payment'), 'GET', '/healthz')).status).toBe(200);
    // Every checkout now fails with 503 + Retry-After; the breaker opens once failures are half of its
    // rolling window, which still holds the successes of the tests before (bounded: 60 checkouts).
    let open = false;
    for (let i = 0; i < 60 && !open; i++) {
      const res = await placeOrder();
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).not.toBeNull();
      open = /^http_client_circuit_state\{upstream="payment"[^}]*\} 2$/m.test(await metricsOf('order'));
    }
    expect(open).toBe(true);

    await flip('payment', { paymentUnreachable: false });
    await eventually(
      async () => ((await placeOrder()).status === 201 ? true : undefined),
      'checkouts to succeed',
      20_000,
      300,
    );
    expect(await metricsOf('order')).toMatch(/^http_client_circuit_state\{upstream="payment"[^}]*\} 0$/m);
  });

  it('productSlow: catalog reads take the added milliseconds, then are fast again', async () => {
    await flip('product', { productSlow: 1200 });
    for (const url of ['/api/v1/products/1', '/api/v1/products?limit=2', '/api/v1/categories']) {
      const read = await timed(() => api(stack.url('product'), 'GET', url));
      expect(read.value.status).toBe(200);
      expect(read.ms).toBeGreaterThanOrEqual(1200);
    }
    await flip('product', { productSlow: 0 });
    const fast = await timed(() => api(stack.url('product'), 'GET', '/api/v1/products/1'));
    expect(fast.ms).toBeLessThan(1200);
  });

  it('productCacheFailure: reads still answer 200 from PostgreSQL (cache errors counted), then hit the cache again', async () => {
    const count = async (result: string) => {
      const m = new RegExp(`^product_cache_requests_total\\{result="${result}"[^}]*\\} (\\d+)`, 'm').exec(
        await metricsOf('product'),
      );
      return m ? Number(m[1]) : 0;
    };
    await api(stack.url('product'), 'GET', '/api/v1/products/2');
    await flip('product', { productCacheFailure: true });
    const errorsBefore = await count('error');
    for (let i = 0; i < 5; i++)
      expect((await api(stack.url('product'), 'GET', '/api/v1/products/2')).status).toBe(200);
    expect((await count('error')) - errorsBefore).toBe(5);

    await flip('product', { productCacheFailure: false });
    const hitsBefore = await count('hit');
    const errorsAfter = await count('error');
    for (let i = 0; i < 3; i++)
      expect((await api(stack.url('product'), 'GET', '/api/v1/products/2')).status).toBe(200);
    expect(await count('error')).toBe(errorsAfter);
    expect((await count('hit')) - hitsBefore).toBeGreaterThanOrEqual(2);
  });

  it('inventoryReserveFailure=100: reservations answer 503 and checkouts 503; off again, checkouts succeed', async () => {
    await flip('product', { inventoryReserveFailure: 100 });
    const res = await placeOrder();
    expect(res.status).toBe(503);
    expect(await metricsOf('product')).toMatch(/route="\/internal\/v1\/reservations",status="503"/);
    await flip('product', { inventoryReserveFailure: 0 });
    await eventually(
      async () => ((await placeOrder()).status === 201 ? true : undefined),
      'checkouts to succeed',
      20_000,
      300,
    );
  });

  it('orderReadinessFailure: readiness 503 while liveness stays 200, then ready again', async () => {
    await flip('order', { orderReadinessFailure: true });
    const ready = await api(stack.url('order'), 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks['fault-flags']).toMatchObject({ status: 'down' });
    expect((await api(stack.url('order'), 'GET', '/healthz')).status).toBe(200);
    await flip('order', { orderReadinessFailure: false });
    expect((await api(stack.url('order'), 'GET', '/readyz')).status).toBe(200);
  });

  it('userLoginSlow: a login waits the added milliseconds, then is fast again', async () => {
    const login = () =>
      api(stack.url('user'), 'POST', '/api/v1/users/login', {
        body: { username: ADMIN.username, password: ADMIN.password },
      });
    await flip('user', { userLoginSlow: 2000 });
    const slow = await timed(login);
    expect(slow.value.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(2000);
    await flip('user', { userLoginSlow: 0 });
    const fast = await timed(login);
    expect(fast.value.status).toBe(200);
    expect(fast.ms).toBeLessThan(2000);
  });

  it('memoryLeak: the product service retains the KiB per request (RSS grows), and releases them when off', async () => {
    const gauge = async (name: string) =>
      Number(
        new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await metricsOf('product'))?.[1] ??
          Number.NaN,
      );
    const rssBefore = await gauge('process_resident_memory_bytes');
    await flip('product', { memoryLeak: 1024 });
    for (let i = 0; i < 60; i++) await api(stack.url('product'), 'GET', '/api/v1/products/3');
    const leaked = await gauge('shop_fault_memory_leak_bytes');
    expect(leaked).toBeGreaterThanOrEqual(60 * 1024 * 1024);
    expect((await gauge('process_resident_memory_bytes')) - rssBefore).toBeGreaterThan(40 * 1024 * 1024);
    await flip('product', { memoryLeak: 0 });
    await api(stack.url('product'), 'GET', '/api/v1/products/3');
    expect(await gauge('shop_fault_memory_leak_bytes')).toBe(0);
  });
});
