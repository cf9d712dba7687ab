import { bootstrapService, type ServiceKit } from '@shop/service-kit';
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
import { type ComposedOrderService, composeOrderService } from '../src/compose.js';
import { orderConfigSchema } from '../src/config.js';

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
  return runMigrations({ connectionString: url, schema: 'orders', dir: MIGRATIONS });
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
  const composed = composeOrderService(service, TEST_VERSION);
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
