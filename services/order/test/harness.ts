import { type BackgroundWorker, bootstrapService, type ServiceKit, startWorkers } from '@shop/service-kit';
import { runMigrations } from '@shop/service-kit/migrate';
import {
  createTestEnvironment,
  getFreePort,
  type LoopbackService,
  listenOnLoopback,
  type TestEnvironment,
  type TestEnvironmentWithTokens,
} from '@shop/testing';
import { useTestApp } from '@shop/testing/vitest';
import type pg from 'pg';
import { type ComposedOrderService, composeOrderService } from '../src/compose.js';
import { DB_SCHEMA, orderConfigSchema } from '../src/config.js';
import { checkoutFingerprint } from '../src/modules/orders/checkout.fingerprint.js';
import { createOrdersRepository } from '../src/modules/orders/orders.repository.js';
import { createWorkers, type OrderWorkersDeps } from '../src/workers.js';

export const MIGRATIONS = new URL('../migrations', import.meta.url);
export const INTERNAL_TOKEN = 'internal-token-for-tests-0123456789';
const TEST_VERSION = '0.0.0-test';

/** One database (schema `orders` migrated), one Redis prefix and a token issuer per test file. */
export type OrderTestEnv = TestEnvironmentWithTokens;

export function createOrderTestEnv(
  label: string,
  migrate: (url: string) => Promise<unknown> = migrateOrders,
): Promise<OrderTestEnv> {
  return createTestEnvironment(label, { migrate, tokens: true });
}

export function migrateOrders(url: string) {
  return runMigrations({ connectionString: url, schema: DB_SCHEMA, dir: MIGRATIONS });
}

/**
 * The order service's environment on a test environment: the keys main.ts parses. `extra` names the
 * upstreams; without it they point at a port nothing listens on (the "dependency is down" case).
 */
export async function orderServiceEnv(env: TestEnvironment, extra: Record<string, string> = {}) {
  const down = `http://127.0.0.1:${await getFreePort()}`;
  return env.serviceEnv({
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    PRODUCT_SERVICE_URL: down,
    PAYMENT_SERVICE_URL: down,
    SERVICE_TIMEOUT: '2s',
    SERVICE_RETRY: '1',
    ...extra,
  });
}

export interface RunningOrderApp extends ComposedOrderService, LoopbackService {
  kit: ServiceKit;
}

/** The service main.ts runs (same config parse and wiring), listening on a free loopback port, without workers. */
export async function startOrderApp(
  env: OrderTestEnv,
  extra: Record<string, string> = {},
): Promise<RunningOrderApp> {
  const service = bootstrapService({
    name: 'order',
    version: TEST_VERSION,
    configSchema: orderConfigSchema,
    env: await orderServiceEnv(env, extra),
    inProcess: true,
  });
  const composed = await composeOrderService(service, TEST_VERSION);
  const listening = await listenOnLoopback(service.kit, composed.server, { redis: composed.redis });
  return { ...composed, ...listening, kit: service.kit };
}

/** Per-file setup: environment and app in `beforeAll`, shut down and dropped in `afterAll`. */
export function useOrderApp(label: string) {
  return useTestApp(
    () => createOrderTestEnv(label),
    (env) => startOrderApp(env),
  );
}

export const ALICE = '00000000-0000-4000-8000-00000000000a';
export const BOB = '00000000-0000-4000-8000-00000000000b';
export const ADMIN = '00000000-0000-4000-8000-0000000000ad';

export type OrderApi = (
  method: string,
  path: string,
  who?: 'alice' | 'bob' | 'admin',
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Response>;

/** fetch against the running app as alice, bob (customers) or admin; no body → no Content-Type. */
export async function orderApi(running: RunningOrderApp & { env: OrderTestEnv }): Promise<OrderApi> {
  const tokens = {
    alice: await running.env.tokens.sign({ role: 'customer', sub: ALICE }),
    bob: await running.env.tokens.sign({ role: 'customer', sub: BOB }),
    admin: await running.env.tokens.sign({ role: 'admin', sub: ADMIN }),
  };
  return (method, path, who, body, headers = {}) =>
    fetch(running.url + path, {
      method,
      headers: {
        ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
}

/**
 * The service's workers with test timings, started like main.ts starts them (`startWorkers`: in
 * order) and stopped by `stop()` in reverse order, as the kit's shutdown would.
 */
export async function startTestWorkers(
  running: RunningOrderApp,
  timings: Pick<OrderWorkersDeps, 'outboxPollIntervalMs' | 'sweepIntervalMs' | 'events'>,
): Promise<{ stop(): Promise<void> }> {
  const stops: (() => unknown)[] = [];
  const workers: BackgroundWorker[] = createWorkers({ outboxListen: true, ...running, ...timings });
  await startWorkers({ onShutdown: (_name, hook) => void stops.unshift(hook) }, workers);
  return {
    async stop() {
      for (const stop of stops) await stop();
    },
  };
}

let seeded = 0;
export type SeedStatus = 'AWAITING_PAYMENT' | 'PAID' | 'PENDING';
/** The request every seeded order stands for: `{"product_id":1,"quantity":2}` (priced 2 × 1250 USD). */
export const SEEDED_REQUEST = { product_id: 1, quantity: 2 };

/**
 * Writes an order in a given state straight into the database (the saga's product step is covered
 * by e2e). With `idempotencyKey` it is the order an earlier `POST /api/v1/orders` with that key and
 * `SEEDED_REQUEST` left behind, so a retry resumes it.
 */
export async function seedOrder(
  pool: pg.Pool,
  o: { userId: string; status: SeedStatus; expiresInMs?: number; idempotencyKey?: string },
): Promise<string> {
  const id = `7a000000-0000-4000-8000-${String(++seeded).padStart(12, '0')}`;
  const repo = createOrdersRepository(pool);
  const items = [{ product_id: SEEDED_REQUEST.product_id, quantity: SEEDED_REQUEST.quantity }];
  await repo.insertPending({
    id,
    userId: o.userId,
    paymentMethod: 'tok_success',
    idempotencyKey: o.idempotencyKey ?? null,
    // What the checkout fingerprints, so the same key and body resume this order.
    requestHash: checkoutFingerprint({ items, payment_method: 'tok_success' }),
    expiresAt: new Date(Date.now() + (o.expiresInMs ?? 900_000)),
    items,
  });
  if (o.status !== 'PENDING') {
    await repo.markPriced(
      id,
      [{ product_id: 1, quantity: 2, unit_price: 1250, line_total: 2500, name: 'Mug', sku: 'MUG-1' }],
      2500,
      'USD',
    );
  }
  if (o.status === 'PAID')
    await repo.transition(id, ['AWAITING_PAYMENT'], 'PAID', {
      paymentId: '5e000000-0000-4000-8000-000000000001',
    });
  return id;
}

/** Types of the events an order wrote to `orders.outbox`, oldest first. */
export async function outboxTypes(pool: pg.Pool, orderId: string): Promise<string[]> {
  const { rows } = await pool.query<{ type: string }>(
    'SELECT type FROM orders.outbox WHERE aggregate_id = $1 ORDER BY created_at',
    [orderId],
  );
  return rows.map((r) => r.type);
}

export async function orderStatus(pool: pg.Pool, orderId: string): Promise<string | undefined> {
  return (await createOrdersRepository(pool).findById(orderId))?.status;
}
