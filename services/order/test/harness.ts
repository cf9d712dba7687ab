import type { AddressInfo } from 'node:net';
import { bootstrapService, type ServiceKit } from '@shop/service-kit';
import { runMigrations } from '@shop/service-kit/migrate';
import {
  createTestEnvironment,
  getFreePort,
  type TestEnvironment,
  type TestEnvironmentWithTokens,
  waitForRedisReady,
} from '@shop/testing';
import { useTestApp } from '@shop/testing/vitest';
import { type ComposedOrderService, composeOrderService } from '../src/compose.js';
import { orderConfigSchema } from '../src/config.js';

export const MIGRATIONS = new URL('../migrations', import.meta.url);
export const INTERNAL_TOKEN = 'internal-token-for-tests-0123456789';

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

export interface RunningOrderApp extends ComposedOrderService {
  kit: ServiceKit;
  /** Base URL on 127.0.0.1. */
  url: string;
  close(): Promise<void>;
}

/** The service main.ts runs (same config parse and wiring), listening on a free loopback port, without workers. */
export async function startOrderApp(
  env: OrderTestEnv,
  extra: Record<string, string> = {},
): Promise<RunningOrderApp> {
  const service = bootstrapService({
    name: 'order',
    version: '0.0.0-test',
    configSchema: orderConfigSchema,
    env: await orderServiceEnv(env, extra),
    installSignalHandlers: false,
    kitOptions: { exit: () => {}, flushTelemetryOnShutdown: false },
  });
  const composed = composeOrderService(service, '0.0.0-test');
  await service.kit.listen(composed.server, 0, '127.0.0.1');
  await waitForRedisReady(composed.redis);
  const { port } = composed.server.address() as AddressInfo;
  return {
    ...composed,
    kit: service.kit,
    url: `http://127.0.0.1:${port}`,
    close: () => service.kit.shutdown('test finished'),
  };
}

/** Per-file setup: environment and app in `beforeAll`, shut down and dropped in `afterAll`. */
export function useOrderApp(label: string) {
  return useTestApp(
    () => createOrderTestEnv(label),
    (env) => startOrderApp(env),
  );
}
